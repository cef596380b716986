#!/usr/bin/python3
"""18-v5-connack: the properties of a successful MQTT 5 CONNACK (section
3.2.2.3) and the limits they announce.

Assigned Client Identifier [MQTT-3.1.3-7] [MQTT-3.2.2-16]; Server Keep Alive
[MQTT-3.2.2-21] (sent when max_keepalive lowers the client's value or the
client asked for none, absent otherwise [MQTT-3.2.2-22]); Maximum Packet
Size (3.2.2.3.6); Maximum QoS [MQTT-3.2.2-9], the SUBSCRIBE still accepted
[MQTT-3.2.2-10], a PUBLISH above it answered with DISCONNECT 0x9B
[MQTT-3.2.2-11] and a will above it with CONNACK 0x9B [MQTT-3.2.2-12];
Retain Available 0 [MQTT-3.2.2-13] [MQTT-3.2.2-14]; Wildcard, Subscription
Identifier and Shared Subscription Available sent as 1; Response
Information only when asked for [MQTT-3.1.2-28]."""
# timeout: 90

from lib import client, env, mqttjs, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


def v5(b, cid="", **kw):
    return client.connect(b, cid, version=5, **kw)


@case(petrel_only="mosquitto 2.0.11 leaves out the '... Available' flags")
def default_properties():
    with Broker() as b:
        c = v5(b, "dflt")
        assert c.connack.rc == 0 and c.connack.session_present is False
        props = c.connack.props
        for flag in ("retain_available", "wildcard_subscription_available",
                     "subscription_identifier_available", "shared_subscription_available"):
            assert props.get(flag) == 1, (flag, c.connack)
        # Nothing this connection did not cause or the config does not say.
        for absent in ("maximum_qos", "server_keep_alive", "assigned_client_identifier",
                       "maximum_packet_size", "response_information", "authentication_method",
                       "session_expiry_interval", "reason_string", "server_reference"):
            assert absent not in props, (absent, c.connack)


@case
def assigned_client_identifier():
    with Broker() as b:
        a = v5(b, "", clean=False, props={"session_expiry_interval": 60})
        other = v5(b, "")
        aid = a.connack.props["assigned_client_identifier"]
        assert aid and aid != other.connack.props["assigned_client_identifier"]
        a.subscribe("aci/t", qos=1)
        a.disconnect()
        # It names a session like any other id [MQTT-3.1.3-7].
        again = v5(b, aid, clean=False, props={"session_expiry_interval": 60})
        assert again.connack.session_present is True
        assert "assigned_client_identifier" not in again.connack.props


@case
def server_keep_alive():
    with Broker(conf=["max_keepalive 10"]) as b:
        for asked, told in ((60, 10), (0, 10), (5, None), (10, None)):
            c = v5(b, "ska%d" % asked, keepalive=asked)
            assert c.connack.props.get("server_keep_alive") == told, (asked, c.connack)
            c.disconnect()
    if env.is_mosquitto():
        return  # mosquitto 2.0.11 answers keep-alive 0 with Server Keep Alive 65535
    with Broker() as b:
        # No max_keepalive: the client's value stands, 0 included [MQTT-3.2.2-22].
        c = v5(b, "ska-none", keepalive=0)
        assert "server_keep_alive" not in c.connack.props, c.connack


@case(petrel_only="mosquitto 2.0.11 refuses a max_keepalive below 10")
def server_keep_alive_is_enforced():
    # The client asked 60, was told 1: silent for 1.5 s, it is disconnected
    # with 0x8D Keep Alive timeout (5.0 [MQTT-3.1.2-22]).
    with Broker(conf=["max_keepalive 1"]) as b:
        c = v5(b, "ska-enf", keepalive=60)
        assert c.connack.props.get("server_keep_alive") == 1
        seen = c.expect_closed(timeout=4)
        assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", P.RC_KEEPALIVE_TIMEOUT)], seen


@case
def maximum_packet_size():
    with Broker(conf=["max_packet_size 1000"]) as b:
        c = v5(b, "mps")
        assert c.connack.props.get("maximum_packet_size") == 1000, c.connack
        c.publish("mps/t", b"x" * 900, qos=1)
        c.send(P.publish("mps/t", b"x" * 1000, qos=1, mid=7, version=5))
        seen = c.expect_closed()
        assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", P.RC_PACKET_TOO_LARGE)], seen


@case
def maximum_qos():
    with Broker(conf=["max_qos 1"]) as b:
        c = v5(b, "mq")
        assert c.connack.props.get("maximum_qos") == 1, c.connack
        # Requested QoS 2 is accepted and granted 1 [MQTT-3.2.2-10].
        c.subscribe("mq/t", qos=2, expect_codes=[1])
        c.publish("mq/t", b"one", qos=1)
        c.expect_publish("mq/t", b"one", qos=1)
        c.send(P.publish("mq/t", b"two", qos=2, mid=9, version=5))
        seen = c.expect_closed()
        assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", P.RC_QOS_NOT_SUPPORTED)], seen
        # A will above it is refused in CONNACK [MQTT-3.2.2-12].
        r = v5(b, "mq-will", will_topic="w", will_qos=2, expect_rc=P.RC_QOS_NOT_SUPPORTED)
        assert r.connack.session_present is False
        # 3.1.1 has no way to be told: granted 1, a QoS 2 PUBLISH closes.
        c3 = client.connect(b, "mq3", version=4)
        c3.subscribe("mq/t", qos=2, expect_codes=[1])
        c3.send(P.publish("mq/t", b"two", qos=2, mid=9))
        c3.expect_closed(allow=())
    with Broker(conf=["max_qos 0"]) as b:
        c = v5(b, "mq0")
        assert c.connack.props.get("maximum_qos") == 0, c.connack


@case
def retain_not_available():
    with Broker(conf=["retain_available false"]) as b:
        c = v5(b, "ra")
        assert c.connack.props.get("retain_available") == 0, c.connack
        c.publish("ra/t", b"plain", qos=1)
        c.send(P.publish("ra/t", b"kept?", qos=1, retain=True, mid=3, version=5))
        seen = c.expect_closed()
        assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", 0x9A)], seen
        v5(b, "ra-will", will_topic="w", will_retain=True, expect_rc=0x9A)  # [MQTT-3.2.2-13]
        c3 = client.connect(b, "ra3", version=4)
        c3.send(P.publish("ra/t", b"kept?", qos=0, retain=True))
        c3.expect_closed(allow=())


@case(petrel_only="response_information is a Petrel option")
def response_information():
    with Broker(conf=["response_information reply/"]) as b:
        c = v5(b, "ri", props={"request_response_information": 1})
        assert c.connack.props.get("response_information") == "reply/ri", c.connack
        for props in ({}, {"request_response_information": 0}):
            c = v5(b, "ri0", props=props)
            assert "response_information" not in c.connack.props, c.connack  # [MQTT-3.1.2-28]
    with Broker() as b:
        c = v5(b, "ri-unset", props={"request_response_information": 1})
        assert "response_information" not in c.connack.props, c.connack


@case(petrel_only="response_information is a Petrel option")
def paho_sees_connack_properties():
    pahoclient.require()
    conf = ["max_keepalive 20", "max_qos 1", "retain_available false",
            "response_information r/", "max_packet_size 4096"]
    with Broker(conf=conf) as b:
        p = pahoclient.Client(b, "", version=5, keepalive=60,
                              connect_props={"RequestResponseInformation": 1})
        props = p.connack_props
        aid = props.AssignedClientIdentifier
        assert aid, props
        assert props.ServerKeepAlive == 20, props
        assert props.MaximumQoS == 1, props
        assert props.RetainAvailable == 0, props
        assert props.MaximumPacketSize == 4096, props
        assert props.ResponseInformation == "r/" + aid, props
        assert props.WildcardSubscriptionAvailable == 1, props
        assert props.SubscriptionIdentifierAvailable == 1, props
        assert props.SharedSubscriptionAvailable == 1, props
        p.disconnect()


@case(petrel_only="response_information is a Petrel option")
def mqttjs_sees_connack_properties():
    mqttjs.require()
    conf = ["max_keepalive 20", "max_qos 0", "response_information r/"]
    with Broker(conf=conf) as b:
        with mqttjs.Client(b) as js:
            e = js.connect(clientId="js-ca", protocolVersion=5, keepalive=0,
                           properties={"requestResponseInformation": True})
            props = e["properties"]
            assert props.get("serverKeepAlive") == 20, props
            assert props.get("maximumQoS") == 0, props
            assert props.get("retainAvailable") is True, props
            assert props.get("responseInformation") == "r/js-ca", props
            assert props.get("sharedSubscriptionAvailable") is True, props
            js.end()


@case
def mosquitto_pub_follows_the_limits():
    # libmosquitto reads Maximum QoS and Retain Available from CONNACK: it
    # refuses a QoS 2 publish and clears the retain flag itself.
    with Broker(conf=["max_qos 1", "retain_available false"]) as b:
        r = tools.pub(b, "mp/t", "x", qos=2, version=5, extra=["-d"], check=False)
        assert "QoS not supported" in r.stderr + r.stdout, (r.stdout, r.stderr)
        r = tools.pub(b, "mp/t", "x", qos=1, version=5, retain=True, extra=["-d"])
        assert "q1, r0" in r.stdout, r.stdout
        assert "received PUBACK" in r.stdout, r.stdout


main()
