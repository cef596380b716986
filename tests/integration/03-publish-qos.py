#!/usr/bin/python3
"""03-publish-qos: QoS 0, 1 and 2 in both directions, with packet ids, from
our raw client and from mosquitto_pub/sub, paho and MQTT.js (3.1.1 and 5)."""

from lib import client, mqttjs, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


@case
def raw_qos_flows_both_directions():
    # [MQTT-4.3.1-1]/[MQTT-4.3.2-*]/[MQTT-4.3.3-*]: PUBACK for QoS 1, PUBREC /
    # PUBREL (flags 0b0010 [MQTT-3.6.1-1]) / PUBCOMP for QoS 2, same packet id;
    # the Server's own QoS > 0 PUBLISHes carry a non-zero id [MQTT-2.3.1-1] and
    # DUP 0 on first delivery [MQTT-3.3.1-3].
    with Broker() as b:
        for v in (3, 4, 5):
            sub = client.connect(b, "qs%d" % v, version=v)
            sub.subscribe("qos/t", qos=2)
            pub = client.connect(b, "qp%d" % v, version=v)
            for q in (0, 1, 2):
                mid = 1000 + q if q else None
                pub.send(P.publish("qos/t", b"m%d" % q, qos=q, mid=mid, version=v))
                if q == 1:
                    pub.expect("PUBACK", mid=mid, rc=0)
                elif q == 2:
                    pub.expect("PUBREC", mid=mid, rc=0)
                    pub.send(P.pubrel(mid, version=v))
                    pub.expect("PUBCOMP", mid=mid, rc=0)
                p = sub.expect("PUBLISH", topic="qos/t", payload=b"m%d" % q, qos=q, dup=False)
                if q:
                    assert p.mid and 1 <= p.mid <= 65535, p
                    sub.ack(p)
            sub.expect_none(0.2)


@case
def dup_flag_is_not_forwarded():
    # [MQTT-3.3.1-3]: the DUP flag of an outgoing PUBLISH is set independently
    # of the incoming one; a first delivery has DUP 0.
    with Broker() as b:
        sub = client.connect(b, "dupsub")
        sub.subscribe("dup/t", qos=1)
        pub = client.connect(b, "duppub")
        pub.send(P.publish("dup/t", b"d", qos=1, dup=True, mid=5))
        pub.expect("PUBACK", mid=5)
        sub.expect_publish("dup/t", b"d", qos=1, dup=False)


@case
def payload_edge_cases():
    # Empty payload, zero bytes inside, and a 256 KiB payload arrive intact.
    with Broker() as b:
        for v in (4, 5):
            sub = client.connect(b, "pes%d" % v, version=v)
            sub.subscribe("pay/#", qos=1)
            pub = client.connect(b, "pep%d" % v, version=v)
            big = bytes(range(256)) * 1024
            for topic, payload in (("pay/empty", b""), ("pay/zero", b"\x00a\x00b\x00"),
                                   ("pay/big", big)):
                pub.publish(topic, payload, qos=1)
                sub.expect_publish(topic, payload, qos=1)


@case
def mosquitto_clients_each_qos():
    with Broker() as b:
        for v in (4, 5):
            for q in (0, 1, 2):
                with tools.Sub(b, "mc/t", qos=q, version=v, count=1) as s:
                    tools.pub(b, "mc/t", "q%d" % q, qos=q, version=v)
                    m = s.message()
                    assert m == tools.Message("mc/t", b"q%d" % q, q, False), m
                    assert s.exit_status() == 0


@case
def paho_to_mqttjs_and_back():
    mqttjs.require()
    with Broker() as b:
        for v in (4, 5):
            with mqttjs.Client(b) as js, pahoclient.Client(b, "pj%d" % v, version=v) as p:
                js.connect(clientId="jp%d" % v, protocolVersion=v)
                js.subscribe("x/js", qos=2)
                p.subscribe("x/paho", qos=2)
                for q in (0, 1, 2):
                    p.publish("x/js", b"paho q%d" % q, qos=q)
                    m = js.expect("message", topic="x/js")
                    assert (m["payload"], m["qos"]) == ("paho q%d" % q, q), m
                    js.publish("x/paho", "js q%d" % q, qos=q)
                    m = p.message()
                    assert (m.payload, m.qos) == (b"js q%d" % q, q), m
                js.end()
                p.disconnect()


@case
def raw_subscriber_sees_third_party_packet_ids():
    # A raw QoS 2 subscriber checks the exact flow the broker runs with it
    # while mosquitto_pub (3.1.1 and 5) publishes.
    with Broker() as b:
        sub = client.connect(b, "rawsub", version=4)
        sub.subscribe("tp/t", qos=2)
        for v in (4, 5):
            tools.pub(b, "tp/t", "v%d" % v, qos=2, version=v)
            p = sub.expect_publish("tp/t", b"v%d" % v, qos=2, ack=False)
            sub.send(P.pubrec(p.mid))
            sub.expect("PUBREL", mid=p.mid, flags=2)
            sub.send(P.pubcomp(p.mid))
        sub.expect_none(0.2)


main()
