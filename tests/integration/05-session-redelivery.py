#!/usr/bin/python3
"""05-session-redelivery: unacknowledged QoS 1/2 messages are re-sent with
DUP 1 and their original packet ids when a persistent session reconnects;
a QoS 2 message already PUBREC'd is continued with PUBREL.

[MQTT-4.4.0-1]: on reconnect with a kept session the Server MUST re-send
unacknowledged PUBLISH (QoS > 0) and PUBREL packets with their original
packet ids; [MQTT-3.3.1-1]: DUP 1 on a re-delivery; [MQTT-4.6.0-1]: in the
original order."""

from lib import client, mqttjs
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


def session_kw(v):
    return {"props": {"session_expiry_interval": 300}} if v == 5 else {}


@case
def qos1_and_qos2_redelivered_with_dup():
    with Broker() as b:
        for v in (4, 5):
            cid = "rd%d" % v
            s = client.connect(b, cid, version=v, clean=False, **session_kw(v))
            s.subscribe("rd/t", qos=2)
            pub = client.connect(b, "rd-pub%d" % v, version=v)
            pub.publish("rd/t", b"q1", qos=1)
            pub.publish("rd/t", b"q2", qos=2)
            first = [s.expect("PUBLISH", payload=b"q1", qos=1, dup=False),
                     s.expect("PUBLISH", payload=b"q2", qos=2, dup=False)]
            s.close()  # no acknowledgement at all
            s = client.connect(b, cid, version=v, clean=False, **session_kw(v))
            assert s.connack.session_present, s.connack
            for old in first:
                p = s.expect("PUBLISH", payload=old.payload, qos=old.qos, dup=True, mid=old.mid)
                s.ack(p)
            s.expect_none(0.3)


@case
def qos2_after_pubrec_continues_with_pubrel():
    with Broker() as b:
        for v in (4, 5):
            cid = "rl%d" % v
            s = client.connect(b, cid, version=v, clean=False, **session_kw(v))
            s.subscribe("rl/t", qos=2)
            pub = client.connect(b, "rl-pub%d" % v, version=v)
            pub.publish("rl/t", b"half", qos=2)
            p = s.expect("PUBLISH", payload=b"half", qos=2)
            s.send(P.pubrec(p.mid, version=v))
            s.expect("PUBREL", mid=p.mid)
            s.close()  # PUBCOMP never sent
            s = client.connect(b, cid, version=v, clean=False, **session_kw(v))
            # Not the PUBLISH again: the PUBREL [MQTT-4.4.0-1].
            s.expect("PUBREL", mid=p.mid, flags=2)
            s.send(P.pubcomp(p.mid, version=v))
            s.expect_none(0.3)


@case
def redelivered_before_queued_in_order():
    # In-flight messages come back first, then what was queued while away,
    # all in publish order.
    with Broker(conf=["max_inflight_messages 2"]) as b:
        s = client.connect(b, "ro", version=4, clean=False)
        s.subscribe("ro/t", qos=1)
        pub = client.connect(b, "ro-pub")
        for i in range(4):
            pub.publish("ro/t", b"%d" % i, qos=1)
        s.expect("PUBLISH", payload=b"0")
        s.expect("PUBLISH", payload=b"1")
        s.close()
        for i in range(4, 6):
            pub.publish("ro/t", b"%d" % i, qos=1)
        s = client.connect(b, "ro", version=4, clean=False)
        got = []
        for _ in range(6):
            p = s.expect_publish("ro/t", qos=1)
            got.append((p.payload, p.dup))
        assert [g[0] for g in got] == [b"%d" % i for i in range(6)], got
        assert got[0][1] and got[1][1], got  # the two that were in flight
        s.expect_none(0.3)


@case
def mqttjs_gets_redelivery():
    # MQTT.js with clean: false receives the unacknowledged message again.
    mqttjs.require()
    with Broker() as b:
        s = client.connect(b, "js-rd", version=4, clean=False)
        s.subscribe("jrd/t", qos=1)
        s.close()
        pub = client.connect(b, "js-rd-pub")
        pub.publish("jrd/t", b"queued", qos=1)
        with mqttjs.Client(b) as js:
            js.connect(clientId="js-rd", protocolVersion=4, clean=False)
            m = js.expect("message")
            assert (m["topic"], m["payload"], m["qos"]) == ("jrd/t", "queued", 1), m
            js.end()


main()
