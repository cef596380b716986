#!/usr/bin/python3
"""18-v5-auth: MQTT 5 AUTH and enhanced authentication (sections 3.15, 4.12).

Without an Authentication Method in CONNECT an AUTH is a Protocol Error
(section 3.15, [MQTT-4.12.0-7]): DISCONNECT 0x82; before 5.0 type 15 is
reserved: malformed, closed. An unknown method is CONNACK 0x8C
[MQTT-4.12.0-1].

The rest drives the broker's enhanced-authentication seam with the
test-only method PETREL-TEST-CHALLENGE (tests/support/eauth_test_method.c),
which only a build with -DPETREL_TEST_AUTH=ON has (the ASan build); against
a release build those cases skip. The broker's side of the rules:
AUTH 0x18 while the exchange goes on [MQTT-4.12.0-2], the client answers
with 0x18 [MQTT-4.12.0-3], CONNACK or refusal at the end [MQTT-4.12.0-4],
every AUTH and the CONNACK carry the CONNECT's method [MQTT-4.12.0-5], only
AUTH or DISCONNECT before CONNACK [MQTT-3.1.2-30]; re-authentication with
AUTH 0x19 and the same method [MQTT-4.12.1-1], DISCONNECT when it fails
[MQTT-4.12.1-2]."""
# timeout: 60

from lib import client, mqttjs, pahoclient, testing, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

M = "PETREL-TEST-CHALLENGE"
RC_CONTINUE, RC_REAUTH, RC_BAD_METHOD = 0x18, 0x19, 0x8C


def auth(rc, data=None, method=M):
    props = {"authentication_method": method}
    if data is not None:
        props["authentication_data"] = data
    return P.auth(rc, props)


def start(b, data, cid="ea", **kw):
    """Sends CONNECT with the test method and data; returns the client."""
    c = client.Client(b, version=5, name=cid)
    props = dict(kw.pop("props", {}), authentication_method=M)
    if data is not None:
        props["authentication_data"] = data
    c.send(P.connect(cid, version=5, props=props, **kw))
    return c


def require_test_method(b):
    c = start(b, b"quick", cid="probe")
    ack = c.expect("CONNACK")
    c.close()
    if ack.rc == RC_BAD_METHOD:
        testing.skip("petrel built without PETREL_TEST_AUTH (the test-only AUTH method)")
    assert ack.rc == 0, ack


def challenge_answered(b, cid="ea", **kw):
    """The full exchange; returns the connected client and its CONNACK."""
    c = start(b, b"hello", cid=cid, **kw)
    a = c.expect("AUTH", rc=RC_CONTINUE)
    assert a.props == {"authentication_method": M, "authentication_data": b"challenge"}, a
    c.send(auth(RC_CONTINUE, b"response"))
    ack = c.expect("CONNACK", rc=0)
    return c, ack


def refused(c, rc):
    ack = c.expect("CONNACK")
    assert (ack.rc, ack.session_present) == (rc, False), ack
    c.expect_closed(allow=())
    return ack


@case(petrel_only="mosquitto 2.0.11 closes without DISCONNECT 0x82")
def auth_without_a_method_is_a_protocol_error():
    with Broker() as b:
        c = client.connect(b, "noauth", version=5)
        c.send(auth(RC_REAUTH, b"x", method="ANY"))
        seen = c.expect_closed()
        assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", P.RC_PROTOCOL_ERROR)], seen
        c = client.connect(b, "noauth4", version=4)
        c.send(P.frame(P.AUTH, 0, b""))
        c.expect_closed(allow=())


@case
def unknown_method_is_0x8c():
    with Broker() as b:
        c = client.Client(b, version=5)
        c.send(P.connect("u", version=5, props={"authentication_method": "NOPE"}))
        refused(c, RC_BAD_METHOD)
        pahoclient.require()
        p = pahoclient.Client(b, "paho-u", version=5, connect=False,
                              connect_props={"AuthenticationMethod": "NOPE"})
        p.connect(expect_rc=RC_BAD_METHOD)
        p.close()
        r = tools.pub(b, "t", "x", version=5, extra=["-d", "-D", "connect",
                                                     "authentication-method", "NOPE"],
                      check=False)
        assert "received CONNACK (140)" in r.stdout, (r.stdout, r.stderr)


@case
def challenge_and_response():
    with Broker() as b:
        require_test_method(b)
        c, ack = challenge_answered(b)
        assert ack.props.get("authentication_method") == M, ack  # [MQTT-4.12.0-5]
        assert ack.props.get("authentication_data") == b"welcome", ack
        c.subscribe("ea/t", qos=1)
        c.publish("ea/t", b"in", qos=1)
        c.expect_publish("ea/t", b"in", qos=1)
        c.disconnect()


@case
def pipelined_exchange():
    with Broker() as b:
        require_test_method(b)
        c = client.Client(b, version=5)
        c.send(P.connect("pipe", version=5, props={"authentication_method": M,
                                                   "authentication_data": b"hi"}),
               auth(RC_CONTINUE, b"response"))
        c.expect("AUTH", rc=RC_CONTINUE)
        c.expect("CONNACK", rc=0)
        c.ping()


@case
def accepted_at_once():
    with Broker() as b:
        require_test_method(b)
        c = start(b, b"quick")
        ack = c.expect("CONNACK", rc=0)
        assert ack.props.get("authentication_data") == b"ok", ack
        c.ping()


@case
def refusals():
    with Broker() as b:
        require_test_method(b)
        refused(start(b, b"fail"), P.RC_NOT_AUTHORIZED)  # [MQTT-4.12.0-4]
        refused(start(b, b"bad-user"), P.RC_BAD_CREDENTIALS)
        c = start(b, b"hello")
        c.expect("AUTH", rc=RC_CONTINUE)
        c.send(auth(RC_CONTINUE, b"wrong"))
        ack = refused(c, P.RC_NOT_AUTHORIZED)
        assert ack.props.get("reason_string"), ack


@case
def protocol_errors_during_the_exchange():
    with Broker() as b:
        require_test_method(b)
        wrong = {
            "another method [MQTT-4.12.0-5]": auth(RC_CONTINUE, b"response", method="OTHER"),
            "reason 0x19 [MQTT-4.12.0-3]": auth(RC_REAUTH, b"response"),
            "a PUBLISH [MQTT-3.1.2-30]": P.publish("t", b"x", version=5),
            "a SUBSCRIBE [MQTT-3.1.2-30]": P.subscribe(1, "t", version=5),
        }
        for name, pkt in wrong.items():
            c = start(b, b"hello")
            c.expect("AUTH", rc=RC_CONTINUE)
            c.send(pkt)
            ack = refused(c, P.RC_PROTOCOL_ERROR)
            assert ack.props.get("reason_string"), (name, ack)


@case
def exchange_bounded_by_connect_timeout():
    with Broker(conf=["connect_timeout 1"]) as b:
        require_test_method(b)
        c = start(b, b"hello")
        c.expect("AUTH", rc=RC_CONTINUE)
        c.expect_closed(timeout=4, allow=())


@case
def shutdown_during_the_exchange():
    # No DISCONNECT before a successful CONNACK [MQTT-3.14.0-1]: just closed.
    with Broker() as b:
        require_test_method(b)
        c = start(b, b"hello")
        c.expect("AUTH", rc=RC_CONTINUE)
        b.stop()
        c.expect_closed(allow=())


@case
def reauthentication():
    with Broker() as b:
        require_test_method(b)
        c, _ = challenge_answered(b, cid="re")
        # [MQTT-4.12.1-1]: AUTH 0x19 with the same method; 0x18 rounds; 0x00 at the end.
        c.send(auth(RC_REAUTH, b"again"))
        c.expect("AUTH", rc=RC_CONTINUE)
        c.ping()  # other packets flow meanwhile (section 4.12.1)
        c.send(auth(RC_CONTINUE, b"response"))
        a = c.expect("AUTH", rc=0)
        assert a.props == {"authentication_method": M, "authentication_data": b"welcome"}, a
        c.send(auth(RC_REAUTH, b"quick"))
        c.expect("AUTH", rc=0)
        c.ping()


@case
def reauthentication_errors():
    with Broker() as b:
        require_test_method(b)
        w = client.connect(b, "re-watch", version=5)
        w.subscribe("will/#", qos=1)
        cases = [
            ("another method", [auth(RC_REAUTH, b"quick", method="OTHER")], P.RC_PROTOCOL_ERROR),
            ("continue without start", [auth(RC_CONTINUE, b"x")], P.RC_PROTOCOL_ERROR),
            ("success from a client", [auth(0, b"x")], P.RC_PROTOCOL_ERROR),
            ("refused", [auth(RC_REAUTH, b"fail")], P.RC_NOT_AUTHORIZED),
            ("another user", [auth(RC_REAUTH, b"quick-as:bob")], P.RC_NOT_AUTHORIZED),
        ]
        for i, (name, pkts, rc) in enumerate(cases):
            cid = "re%d" % i
            c = start(b, b"quick-as:alice", cid=cid, will_topic="will/" + cid)
            c.expect("CONNACK", rc=0)
            c.send(*pkts)
            seen = c.expect_closed()
            assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", rc)], (name, seen)
            # The server closed it: not a normal disconnection, so the will goes.
            w.expect_publish("will/" + cid)


@case
def the_method_names_the_user():
    # The identity the method returns is the connection's for the ACL.
    acl = "user alice\ntopic readwrite alice/#\n"
    with Broker(conf=["acl_file {dir}/acl"], files={"acl": acl}) as b:
        require_test_method(b)
        c = start(b, b"quick-as:alice", cid="who")
        c.expect("CONNACK", rc=0)
        c.publish("alice/x", b"mine", qos=1, expect_rc=P.RC_NO_MATCHING_SUBSCRIBERS)
        c.publish("bob/x", b"not mine", qos=1, expect_rc=P.RC_NOT_AUTHORIZED)


@case
def mqttjs_enhanced_authentication():
    mqttjs.require()
    with Broker() as b:
        require_test_method(b)
        with mqttjs.Client(b) as js:
            e = js.connect(clientId="js-ea", protocolVersion=5,
                           properties={"authenticationMethod": M, "authenticationData": "hi"},
                           authReplies={"challenge": "response"})
            assert e["properties"].get("authenticationMethod") == M, e
            assert e["properties"].get("authenticationData") == "welcome", e
            js.subscribe("js/ea", qos=1)
            js.publish("js/ea", "through", qos=1)
            assert js.expect("message", topic="js/ea")["payload"] == "through"
            js.end()


@case
def paho_and_mosquitto_pub_enhanced_authentication():
    # Neither answers an AUTH challenge; both take a method that accepts at once.
    pahoclient.require()
    with Broker() as b:
        require_test_method(b)
        p = pahoclient.Client(b, "paho-ea", version=5,
                              connect_props={"AuthenticationMethod": M,
                                             "AuthenticationData": b"quick"})
        assert p.connack_props.AuthenticationMethod == M, p.connack_props
        assert p.connack_props.AuthenticationData == b"ok", p.connack_props
        p.disconnect()
        r = tools.pub(b, "t", "x", qos=1, version=5,
                      extra=["-d", "-D", "connect", "authentication-method", M,
                             "-D", "connect", "authentication-data", "quick"])
        assert "received CONNACK (0)" in r.stdout, r.stdout
        r = tools.pub(b, "t", "x", version=5, check=False,
                      extra=["-d", "-D", "connect", "authentication-method", M,
                             "-D", "connect", "authentication-data", "fail"])
        assert "received CONNACK (135)" in r.stdout, r.stdout


main()
