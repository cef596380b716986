#!/usr/bin/python3
"""19-v5-scram: MQTT 5 enhanced authentication with SCRAM-SHA-256 and
SCRAM-SHA-512 (RFC 5802, RFC 7677) against secrets `petrel-passwd --scram`
wrote, at CONNECT and in re-authentication (section 4.12).

The client side here is an independent SCRAM implementation on Python's
hashlib/hmac: it checks the server's signature, so a broker that accepted
without knowing the secret would fail the test. The broker's side:
AUTH 0x18 with the server-first message [MQTT-4.12.0-2], the client's AUTH
0x18 [MQTT-4.12.0-3], CONNACK 0x00 with the server-final message and the
same method [MQTT-4.12.0-5], CONNACK 0x86 for a wrong password or an
unknown user (the same answer, so names are not revealed), 0x87 for a
malformed exchange, 0x8C for an unknown method [MQTT-4.12.0-1];
re-authentication with AUTH 0x19 ending in AUTH 0x00 [MQTT-4.12.1-1], and
DISCONNECT 0x87 when it fails [MQTT-4.12.1-2]."""

import base64
import hashlib
import hmac
import os

from lib import authfiles, client, mqttjs
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

ALGS = {"SCRAM-SHA-256": hashlib.sha256, "SCRAM-SHA-512": hashlib.sha512}


class Scram:
    """The client side of one SCRAM exchange."""

    def __init__(self, method, user, password):
        self.h = ALGS[method]
        self.user = user
        self.password = password.encode()
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = "n=%s,r=%s" % (user, self.nonce)

    def client_first(self):
        return ("n,," + self.first_bare).encode()

    def client_final(self, server_first):
        sf = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in sf.split(","))
        assert attrs["r"].startswith(self.nonce), sf
        salt = base64.b64decode(attrs["s"])
        salted = hashlib.pbkdf2_hmac(self.h().name, self.password, salt, int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", self.h).digest()
        stored = self.h(client_key).digest()
        without_proof = "c=biws,r=" + attrs["r"]
        self.auth_msg = ",".join((self.first_bare, sf, without_proof)).encode()
        sig = hmac.new(stored, self.auth_msg, self.h).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        server_key = hmac.new(salted, b"Server Key", self.h).digest()
        self.expected = hmac.new(server_key, self.auth_msg, self.h).digest()
        return (without_proof + ",p=" + base64.b64encode(proof).decode()).encode()

    def check_final(self, server_final):
        got = server_final.decode()
        assert got == "v=" + base64.b64encode(self.expected).decode(), got


def scram_broker():
    """A broker (not started yet) whose password file petrel-passwd wrote."""
    b = Broker(conf=["allow_anonymous false", "password_file passwd"])
    os.makedirs(b.dir, exist_ok=True)
    path = b.path("passwd")
    authfiles.petrel_passwd(path, "alice", "wonderland", create=True, extra=["--scram"])
    authfiles.petrel_passwd(path, "bob", "builder", extra=["--scram=sha512"])
    authfiles.petrel_passwd(path, "carol", "hashed-only")  # $7$, no SCRAM secret
    return b


def auth_props(method, data):
    return {"authentication_method": method, "authentication_data": data}


def scram_connect(b, method, user, password, cid=None, expect_rc=0):
    """CONNECT with SCRAM; returns (client, CONNACK)."""
    s = Scram(method, user, password)
    c = client.Client(b, version=5, name=cid or user)
    c.send(P.connect(cid or user, version=5, props=auth_props(method, s.client_first())))
    ch = c.expect("AUTH", rc=0x18)
    assert ch.props["authentication_method"] == method, ch
    c.send(P.auth(0x18, auth_props(method, s.client_final(ch.props["authentication_data"]))))
    ack = c.expect("CONNACK")
    assert ack.rc == expect_rc, (user, method, ack)
    if expect_rc == 0:
        assert ack.props["authentication_method"] == method, ack
        s.check_final(ack.props["authentication_data"])
    return c, ack


@case(petrel_only="SCRAM enhanced authentication")
def scram_logins_at_connect():
    with scram_broker() as b:
        for method, user, password in (("SCRAM-SHA-256", "alice", "wonderland"),
                                       ("SCRAM-SHA-512", "alice", "wonderland"),
                                       ("SCRAM-SHA-512", "bob", "builder")):
            c, _ = scram_connect(b, method, user, password)
            # Authenticated: the connection works like any other.
            c.subscribe("scram/t", qos=1)
            c.publish("scram/t", b"hi", qos=1)
            c.expect_publish("scram/t", b"hi")
            c.disconnect()
        # The same secret still verifies a plain CONNECT password.
        client.connect(b, "plain", version=5, username="alice", password="wonderland").disconnect()


@case(petrel_only="SCRAM enhanced authentication")
def scram_refusals():
    with scram_broker() as b:
        # Wrong password, unknown user, a user with no SCRAM secret, a digest
        # the user has no secret for: all fail at the proof, all 0x86.
        for method, user, password in (("SCRAM-SHA-256", "alice", "wrong"),
                                       ("SCRAM-SHA-256", "nobody", "x"),
                                       ("SCRAM-SHA-256", "carol", "hashed-only"),
                                       ("SCRAM-SHA-256", "bob", "builder")):
            c, _ = scram_connect(b, method, user, password, expect_rc=0x86)
            c.expect_closed()
        # Unknown method [MQTT-4.12.0-1].
        c = client.Client(b, version=5)
        c.send(P.connect("m", version=5, props=auth_props("SCRAM-SHA-1", b"n,,n=a,r=x")))
        assert c.expect("CONNACK").rc == 0x8C
        c.expect_closed()
        # Malformed client-first (channel binding required): 0x87.
        c = client.Client(b, version=5)
        c.send(P.connect("m", version=5,
                         props=auth_props("SCRAM-SHA-256", b"p=tls-unique,,n=alice,r=abc")))
        assert c.expect("CONNACK").rc == 0x87
        c.expect_closed()
        # A CONNECT User Name that is not the SCRAM user.
        s = Scram("SCRAM-SHA-256", "alice", "wonderland")
        c = client.Client(b, version=5)
        c.send(P.connect("m", version=5, username="bob",
                         props=auth_props("SCRAM-SHA-256", s.client_first())))
        ch = c.expect("AUTH", rc=0x18)
        c.send(P.auth(0x18, auth_props("SCRAM-SHA-256",
                                       s.client_final(ch.props["authentication_data"]))))
        assert c.expect("CONNACK").rc >= 0x80
        c.expect_closed()


@case(petrel_only="SCRAM enhanced authentication")
def scram_reauthentication():
    with scram_broker() as b:
        m = "SCRAM-SHA-256"
        c, _ = scram_connect(b, m, "alice", "wonderland", cid="re")
        for _ in range(2):
            s = Scram(m, "alice", "wonderland")
            c.send(P.auth(0x19, auth_props(m, s.client_first())))
            ch = c.expect("AUTH", rc=0x18)
            c.send(P.auth(0x18, auth_props(m, s.client_final(ch.props["authentication_data"]))))
            done = c.expect("AUTH", rc=0x00)
            s.check_final(done.props["authentication_data"])
        c.ping()
        # A failed re-authentication ends the connection [MQTT-4.12.1-2].
        s = Scram(m, "alice", "not-her-password")
        c.send(P.auth(0x19, auth_props(m, s.client_first())))
        ch = c.expect("AUTH", rc=0x18)
        c.send(P.auth(0x18, auth_props(m, s.client_final(ch.props["authentication_data"]))))
        d = c.expect("DISCONNECT")
        assert d.rc == 0x87, d
        c.expect_closed()


@case(petrel_only="SCRAM enhanced authentication")
def scram_with_mqttjs():
    # A second, independent SCRAM client: MQTT.js 5 with node's crypto
    # (js/client.js), which checks the broker's signature too.
    mqttjs.require()
    with scram_broker() as b:
        for method in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
            with mqttjs.Client(b) as js:
                js.connect(clientId="js-" + method, protocolVersion=5,
                           scram={"method": method, "user": "alice", "password": "wonderland"})
                assert js.expect("scram")["verified"], method
                js.subscribe("scram/js", qos=1)
                js.publish("scram/js", "via MQTT.js", qos=1)
                js.messages(1)
        with mqttjs.Client(b) as js:
            js.connect(expect_code=None, clientId="js-bad", protocolVersion=5,
                       scram={"method": "SCRAM-SHA-256", "user": "alice", "password": "no"})
            js.expect("packet", cmd="connack", reasonCode=0x86)


if __name__ == "__main__":
    main()
