#!/usr/bin/python3
"""18-v5-server-reference: server redirection (MQTT 5.0 section 4.11) with
the options server_reference and server_reference_mode.

temporary / moved: every new MQTT 5 connection is refused with CONNACK
0x9C (Use another server) / 0x9D (Server moved) carrying the Server
Reference (3.2.2.3.16), Session Present 0 [MQTT-3.2.2-6], and closed
[MQTT-3.2.2-7]; a 3.1.1 or 3.1 client, which cannot be told where to go,
gets return code 3 (Server unavailable). shutdown (the default): clients
connect as usual, and at shutdown an MQTT 5 client gets DISCONNECT 0x9C
with the Server Reference (3.14.2.2.5) instead of 0x8B (Server shutting
down). Without server_reference nothing changes: 0x8B at shutdown."""
# timeout: 60

from lib import client, mqttjs, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

REF = "other.example.com:1884 [::1]:1883"
RC_USE_ANOTHER_SERVER, RC_SERVER_MOVED, RC_SHUTTING_DOWN = 0x9C, 0x9D, 0x8B


def refused(b, version, cid="r", **kw):
    c = client.connect(b, cid, version=version, expect_rc=None, **kw)
    c.expect_closed(allow=())
    return c.connack


@case(petrel_only="server_reference is a Petrel option")
def temporary_and_moved_refuse_new_connections():
    for mode, rc in (("temporary", RC_USE_ANOTHER_SERVER), ("moved", RC_SERVER_MOVED)):
        with Broker(conf=["server_reference " + REF, "server_reference_mode " + mode]) as b:
            ack = refused(b, 5, clean=False)
            assert (ack.rc, ack.session_present) == (rc, False), ack
            assert ack.props.get("server_reference") == REF, ack
            for v in (3, 4):
                assert refused(b, v).rc == P.RC3_UNAVAILABLE


@case(petrel_only="server_reference_mode is a Petrel option")
def redirect_without_a_reference():
    # The reference is optional (section 4.11): the client may know another server.
    with Broker(conf=["server_reference_mode temporary"]) as b:
        ack = refused(b, 5)
        assert ack.rc == RC_USE_ANOTHER_SERVER and "server_reference" not in ack.props, ack


@case(petrel_only="server_reference is a Petrel option")
def shutdown_points_clients_elsewhere():
    with Broker(conf=["server_reference " + REF]) as b:
        c5 = client.connect(b, "sd5", version=5)
        c4 = client.connect(b, "sd4", version=4)
        b.stop()
        seen = c5.expect_closed()
        assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", RC_USE_ANOTHER_SERVER)], seen
        assert seen[0].props.get("server_reference") == REF, seen
        c4.expect_closed(allow=())


@case
def shutdown_without_reference():
    with Broker() as b:
        c5 = client.connect(b, "plain5", version=5)
        b.stop()
        seen = c5.expect_closed()
        if seen:  # mosquitto 2.0.11 just closes
            assert [(p.rc, "server_reference" in p.props) for p in seen] == \
                [(RC_SHUTTING_DOWN, False)], seen


@case(petrel_only="server_reference is a Petrel option")
def paho_is_redirected():
    pahoclient.require()
    with Broker(conf=["server_reference " + REF, "server_reference_mode moved"]) as b:
        p = pahoclient.Client(b, "paho-r", version=5, connect=False)
        p.connect(expect_rc=RC_SERVER_MOVED)
        assert p.connack_props.ServerReference == REF, p.connack_props
        p.close()
    with Broker(conf=["server_reference " + REF]) as b:
        p = pahoclient.Client(b, "paho-sd", version=5)
        b.stop()
        rc, props = p.disconnect_event()
        assert rc == RC_USE_ANOTHER_SERVER, rc
        assert props.ServerReference == REF, props
        p.close()


@case(petrel_only="server_reference is a Petrel option")
def mqttjs_is_redirected():
    mqttjs.require()
    with Broker(conf=["server_reference " + REF, "server_reference_mode temporary"]) as b:
        with mqttjs.Client(b) as js:
            js.connect(expect_code=None, clientId="js-r", protocolVersion=5)
            e = js.expect("packet", cmd="connack")
            assert e["reasonCode"] == RC_USE_ANOTHER_SERVER, e
            assert e["properties"].get("serverReference") == REF, e
    with Broker(conf=["server_reference " + REF]) as b:
        with mqttjs.Client(b) as js:
            js.connect(clientId="js-sd", protocolVersion=5)
            b.stop()
            e = js.expect("packet", cmd="disconnect")
            assert e["reasonCode"] == RC_USE_ANOTHER_SERVER, e
            assert e["properties"].get("serverReference") == REF, e


@case(petrel_only="server_reference is a Petrel option")
def mosquitto_pub_is_refused():
    with Broker(conf=["server_reference " + REF, "server_reference_mode moved"]) as b:
        r = tools.pub(b, "t", "x", version=5, extra=["-d"], check=False)
        assert "received CONNACK (157)" in r.stdout, (r.stdout, r.stderr)
        assert "Server moved" in r.stderr, r.stderr
        r = tools.pub(b, "t", "x", version=4, check=False)
        assert "unavailable" in r.stderr, r.stderr


main()
