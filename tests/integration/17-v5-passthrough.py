#!/usr/bin/python3
"""17-v5-passthrough: request/response and application properties go
through unchanged on every path (5.0 sections 3.3.2.3, 4.10).

Payload Format Indicator [MQTT-3.3.2-4], Response Topic [MQTT-3.3.2-15],
Correlation Data [MQTT-3.3.2-16], User Properties, all of them and in order
[MQTT-3.3.2-17] [MQTT-3.3.2-18], and Content Type [MQTT-3.3.2-20] reach the
subscriber byte for byte: live at QoS 0/1/2, retained, queued for an offline
session, through a shared subscription, re-sent with DUP after a reconnect,
and handed from a departing shared member to another. (Wills are covered
with the CONNECT path.)

Peers: raw client (exact bytes), paho v5, mosquitto_pub/_sub (-D publish,
-F %C %D %F %P %R), MQTT.js 5; a request/response round trip between paho
and MQTT.js."""
# timeout: 120

from lib import client, env, mqttjs, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

KEEP = {"session_expiry_interval": 300}
PROPS = {
    "payload_format_indicator": 1,
    "content_type": "application/json; charset=utf-8",
    "response_topic": "replies/client-7/\u00e9",
    "correlation_data": b"\x00\x01corr\xff",
    "user_property": [("b", "2"), ("a", "1"), ("b", "3"), ("\u00fcnit", "\u00b0C"), ("", "")],
}


def v5(b, cid, **kw):
    return client.connect(b, cid, version=5, **kw)


def check_props(p):
    """The forwarded properties are the published ones, in the same order
    and the same bytes (only Topic Alias, Subscription Identifier and the
    Message Expiry Interval are the broker's to set)."""
    got = {k: v for k, v in p.props.items()
           if k not in ("topic_alias", "subscription_identifier", "message_expiry_interval")}
    assert got == PROPS, p
    assert P.props_body(PROPS) in p.raw, p  # byte for byte, in order


@case
def live_at_every_qos():
    with Broker() as b:
        sub = v5(b, "pt-live-sub")
        sub.subscribe("pt/#", qos=2)
        pub = v5(b, "pt-live-pub")
        for q in (0, 1, 2):
            pub.publish("pt/%d" % q, b'{"t": 21}', qos=q, props=PROPS)
            check_props(sub.expect_publish("pt/%d" % q, b'{"t": 21}', qos=q))
        for c in (sub, pub):
            c.disconnect()


@case
def retained():
    with Broker() as b:
        pub = v5(b, "pt-ret-pub")
        pub.publish("ptr/t", b"{}", qos=1, retain=True, props=PROPS)
        sub = v5(b, "pt-ret-sub")
        sub.subscribe("ptr/#", qos=1)
        check_props(sub.expect_publish("ptr/t", b"{}", retain=True))
        for c in (sub, pub):
            c.disconnect()


@case
def queued_then_resent():
    # Queued while the session is offline, then re-sent with DUP after yet
    # another reconnect: the same properties each time.
    with Broker() as b:
        sub = v5(b, "pt-q", clean=False, props=KEEP)
        sub.subscribe("ptq/#", qos=2)
        sub.disconnect()
        pub = v5(b, "pt-q-pub")
        pub.publish("ptq/1", b"one", qos=1, props=PROPS)
        pub.publish("ptq/2", b"two", qos=2, props=PROPS)
        sub = v5(b, "pt-q", clean=False, props=KEEP)
        for t, pay in (("ptq/1", b"one"), ("ptq/2", b"two")):
            check_props(sub.expect_publish(t, pay, ack=False))
        sub.close()
        sub = v5(b, "pt-q", clean=False, props=KEEP)
        for t, pay in (("ptq/1", b"one"), ("ptq/2", b"two")):
            check_props(sub.expect_publish(t, pay, dup=True))
        for c in (sub, pub):
            c.disconnect()


@case
def shared_and_handed_over():
    # Through a shared subscription, and again when the member that had the
    # message leaves and another member gets it.
    with Broker() as b:
        a = v5(b, "pt-sh-a")
        a.subscribe("$share/g/pts/#", qos=1)
        bb = v5(b, "pt-sh-b")
        bb.subscribe("$share/g/pts/#", qos=1)
        pub = v5(b, "pt-sh-pub")
        pub.publish("pts/t", b"0", qos=1, props=PROPS)
        pub.publish("pts/t", b"1", qos=1, props=PROPS)
        got = client.drain_all([a, bb])  # acknowledged: one each
        for c in (a, bb):
            (p,) = [x for x in got[c] if x.name == "PUBLISH"]
            check_props(p)
        pub.publish("pts/t", b"2", qos=1, props=PROPS)  # a's turn
        held = a.expect_publish("pts/t", b"2", ack=False)
        check_props(held)
        a.close()
        if not env.is_mosquitto():  # mosquitto 2.0.11 keeps it in a's session
            check_props(bb.expect_publish("pts/t", b"2"))
        for c in (bb, pub):
            c.disconnect()


@case
def v311_subscriber_gets_the_message():
    # 3.1.1 cannot carry properties; the message itself arrives.
    with Broker() as b:
        sub = client.connect(b, "pt-311", version=4)
        sub.subscribe("pt3/#", qos=1)
        pub = v5(b, "pt-311-pub")
        pub.publish("pt3/t", b"x", qos=1, props=PROPS)
        p = sub.expect_publish("pt3/t", b"x")
        assert p.props == {}, p
        for c in (sub, pub):
            c.disconnect()


@case
def paho_to_raw_mosquitto_sub_and_mqttjs():
    pahoclient.require()
    mqttjs.require()
    with Broker() as b:
        raw = v5(b, "pt-3p-raw")
        raw.subscribe("pt3p/#", qos=1)
        with tools.Sub(b, "pt3p/#", qos=1, version=5, v5props=True) as s, \
                mqttjs.Client(b, name="pt-js") as js, \
                pahoclient.Client(b, "pt-paho", version=5) as p:
            js.connect(clientId="pt-js", protocolVersion=5)
            js.subscribe("pt3p/#", qos=1)
            p.publish("pt3p/t", b"hello", qos=1, properties={
                "PayloadFormatIndicator": 1, "ContentType": "text/plain",
                "ResponseTopic": "pt3p/reply", "CorrelationData": b"c-1",
                "UserProperty": [("k", "1"), ("k", "2"), ("z", "3")]})
            m = raw.expect_publish("pt3p/t", b"hello")
            assert m.props.get("user_property") == [("k", "1"), ("k", "2"), ("z", "3")], m
            assert (m.props.get("content_type"), m.props.get("response_topic"),
                    m.props.get("correlation_data"), m.props.get("payload_format_indicator")) == \
                ("text/plain", "pt3p/reply", b"c-1", 1), m
            m = s.message()
            assert m.props == {"payload_format_indicator": 1, "content_type": "text/plain",
                               "response_topic": "pt3p/reply", "correlation_data": "c-1",
                               "user_property": "k:1 k:2 z:3"}, m
            m = js.expect("message", topic="pt3p/t")
            got = m["properties"]
            assert got.get("contentType") == "text/plain", got
            assert got.get("responseTopic") == "pt3p/reply", got
            assert got.get("userProperties") == {"k": ["1", "2"], "z": "3"}, got
            assert got.get("payloadFormatIndicator") is True, got
            js.end()
            p.disconnect()
        raw.disconnect()


@case
def mosquitto_pub_to_paho():
    pahoclient.require()
    with Broker() as b:
        with pahoclient.Client(b, "pt-mp-paho", version=5) as p:
            p.subscribe("ptm/#", qos=1)
            tools.pub(b, "ptm/t", "m", qos=1, version=5, extra=[
                "-D", "publish", "content-type", "text/csv",
                "-D", "publish", "response-topic", "ptm/back",
                "-D", "publish", "correlation-data", "id-9",
                "-D", "publish", "payload-format-indicator", "1",
                "-D", "publish", "user-property", "a", "x",
                "-D", "publish", "user-property", "a", "y"])
            m = p.message()
            assert pahoclient.prop(m, "ContentType") == "text/csv", m.properties
            assert pahoclient.prop(m, "ResponseTopic") == "ptm/back", m.properties
            assert pahoclient.prop(m, "CorrelationData") == b"id-9", m.properties
            assert pahoclient.prop(m, "PayloadFormatIndicator") == 1, m.properties
            assert pahoclient.prop(m, "UserProperty") == [("a", "x"), ("a", "y")], m.properties
            p.disconnect()


@case
def request_response_between_paho_and_mqttjs():
    # 4.10: the requester (paho) names a Response Topic and Correlation
    # Data; the responder (MQTT.js) answers on that topic with that data.
    pahoclient.require()
    mqttjs.require()
    with Broker() as b:
        with pahoclient.Client(b, "rr-requester", version=5) as req, \
                mqttjs.Client(b, name="rr-responder") as js:
            req.subscribe("rr/replies/requester", qos=1)
            js.connect(clientId="rr-responder", protocolVersion=5)
            js.subscribe("rr/requests", qos=1)
            req.publish("rr/requests", b"2+2", qos=1, properties={
                "ResponseTopic": "rr/replies/requester", "CorrelationData": b"req-42"})
            m = js.expect("message", topic="rr/requests")
            props = m["properties"]
            assert props.get("responseTopic") == "rr/replies/requester", props
            corr = bytes(props["correlationData"]["data"])
            assert corr == b"req-42", props
            js.publish(props["responseTopic"], "4", qos=1,
                       properties={"correlationData": corr.decode()})
            reply = req.message()
            assert reply.payload == b"4", reply
            assert pahoclient.prop(reply, "CorrelationData") == b"req-42", reply.properties
            js.end()
            req.disconnect()


main()
