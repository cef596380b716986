#!/usr/bin/python3
"""02-subscribe-unsubscribe: SUBACK/UNSUBACK, replacing a subscription,
granted QoS, and invalid topic filters."""

from lib import client, mqttjs, pahoclient
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


@case
def suback_codes_and_ids():
    # [MQTT-3.8.4-2] SUBACK has the SUBSCRIBE's packet id; [MQTT-3.8.4-5] one
    # code per filter, in order [MQTT-3.9.3-1]; granted QoS = requested here.
    with Broker() as b:
        for v in (4, 5):
            c = client.connect(b, "sa%d" % v, version=v)
            c.send(P.subscribe(4242, [("s/0", 0), ("s/1", 1), ("s/2", 2)], version=v))
            c.expect("SUBACK", mid=4242, codes=[0, 1, 2])


@case
def delivered_qos_is_min_of_publish_and_granted():
    # [MQTT-3.8.4-6]/3.3.5: a message is delivered at min(published QoS, granted QoS).
    with Broker() as b:
        for v in (4, 5):
            subs = {}
            for q in (0, 1, 2):
                subs[q] = client.connect(b, "mq%d%d" % (v, q), version=v)
                subs[q].subscribe("mq/t", qos=q)
            pub = client.connect(b, "mqpub%d" % v, version=v)
            for pq in (0, 1, 2):
                pub.publish("mq/t", b"p%d" % pq, qos=pq)
                for sq, c in subs.items():
                    c.expect_publish("mq/t", b"p%d" % pq, qos=min(pq, sq))


@case
def unsubscribe_stops_delivery():
    # [MQTT-3.10.4-2] stop adding messages; [MQTT-3.10.4-4] UNSUBACK with the
    # same packet id; 5.0: reason 0x00, and 0x11 for no such subscription.
    with Broker() as b:
        for v in (4, 5):
            c = client.connect(b, "un%d" % v, version=v)
            c.subscribe(["un/a", "un/b"], qos=1)
            pub = client.connect(b, "unpub%d" % v, version=v)
            c.send(P.unsubscribe(777, ["un/a", "un/none"], version=v))
            ack = c.expect("UNSUBACK", mid=777)
            if v == 5:
                assert ack.codes == [0x00, P.RC_NO_SUBSCRIPTION_EXISTED], ack
            pub.publish("un/a", b"gone", qos=1)
            pub.publish("un/b", b"kept", qos=1)
            c.expect_publish("un/b", b"kept", qos=1)
            c.expect_none(0.3)


@case
def resubscribe_replaces_subscription():
    # [MQTT-3.8.4-3]: a SUBSCRIBE with an existing filter replaces it (new
    # QoS), and does not add a second copy.
    with Broker() as b:
        for v in (4, 5):
            c = client.connect(b, "re%d" % v, version=v)
            c.subscribe("re/t", qos=2)
            c.subscribe("re/t", qos=0)
            pub = client.connect(b, "repub%d" % v, version=v)
            pub.publish("re/t", b"x", qos=2)
            c.expect_publish("re/t", b"x", qos=0)
            c.expect_none(0.3)


@case
def invalid_filters_are_refused():
    # [MQTT-4.7.1-1]/[MQTT-4.7.1-2]/[MQTT-4.7.1-3] `#` last and alone in its
    # level, `+` alone in its level; [MQTT-4.7.3-1] at least one character.
    # The Server either closes the connection (5.0: maybe after DISCONNECT
    # 0x81/0x8F) or refuses the filter in SUBACK (0x80 / 0x8F).
    with Broker() as b:
        for v in (4, 5):
            for bad in ("a/#/b", "a+", "#/a", "+a/b", "a/b#", ""):
                c = client.connect(b, "bad%d" % v, version=v)
                c.send(P.subscribe(1, bad, qos=0, version=v))
                try:
                    p = c.recv(2)
                except client.Closed:
                    continue
                if p.name == "SUBACK":
                    assert p.codes[0] >= 0x80, (bad, p)
                else:
                    client.check(p, "DISCONNECT")
                    assert p.rc >= 0x80, (bad, p)
                    c.expect_closed()


@case
def paho_and_mqttjs_subscribe_unsubscribe():
    with Broker() as b:
        for v in (4, 5):
            with pahoclient.Client(b, "pu%d" % v, version=v) as p:
                granted = p.subscribe("pu/t", qos=2)
                assert [getattr(g, "value", g) for g in granted] == [2], granted
                p.c.unsubscribe("pu/t")
                p.publish("pu/t", b"x", qos=1)
                p.expect_none(0.3)
                p.disconnect()
        mqttjs.require()
        with mqttjs.Client(b) as js:
            js.connect(clientId="ju", protocolVersion=5)
            e = js.subscribe("ju/t", qos=1)
            assert e["granted"][0]["qos"] == 1, e
            tag = js.cmd("unsubscribe", topic="ju/t")
            js.expect("unsuback", tag=tag)
            js.publish("ju/t", "x", qos=1)
            js.expect_none("message", 0.3)
            js.end()


main()
