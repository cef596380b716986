#!/usr/bin/python3
"""17-v5-expiry: Message Expiry Interval (5.0 section 3.3.2.3.3).

A message whose interval has passed before it is sent to a subscriber is
deleted for that subscriber [MQTT-3.3.2-5]: queued for an offline session,
waiting behind a full Receive Maximum, retained (the retained copy is
discarded, 3.3.1.3), or handed from a shared subscription's member to
another. What is sent carries the received interval minus the time spent in
the broker [MQTT-3.3.2-6]. A message already sent is re-sent after a
reconnect even when expired [MQTT-4.4.0-1] (QoS 2: [MQTT-4.3.3-7]), with an
interval of 0.

Peers: raw client (intervals exactly), mosquitto_pub/_sub (-D publish
message-expiry-interval, %E), paho v5, MQTT.js 5."""
# timeout: 120

from lib import client, mqttjs, pahoclient, testing, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

KEEP = {"session_expiry_interval": 300}


def v5(b, cid, **kw):
    return client.connect(b, cid, version=5, **kw)


def expiry(p):
    return p.props.get("message_expiry_interval")


@case
def live_message_carries_its_interval():
    # [MQTT-3.3.2-6]: received value minus the time waited (none here).
    with Broker() as b:
        c = v5(b, "ex-live")
        c.subscribe("ex/#", qos=1)
        c.publish("ex/a", b"x", qos=1, props={"message_expiry_interval": 60})
        assert expiry(c.expect_publish("ex/a", b"x")) in (59, 60)
        c.publish("ex/b", b"y", qos=0)
        p = c.expect_publish("ex/b", b"y")
        assert expiry(p) is None, p  # absent: the message does not expire
        c.disconnect()


@case
def queued_interval_counts_down():
    with Broker() as b:
        c = v5(b, "ex-q", clean=False, props=KEEP)
        c.subscribe("exq/#", qos=1)
        c.disconnect()
        pub = v5(b, "ex-q-pub")
        pub.publish("exq/t", b"x", qos=1, props={"message_expiry_interval": 10})
        testing.sleep(2.2)
        c = v5(b, "ex-q", clean=False, props=KEEP)
        left = expiry(c.expect_publish("exq/t", b"x"))
        assert left is not None and left <= 8, left
        c.disconnect()
        pub.disconnect()


@case
def queued_message_expires():
    # [MQTT-3.3.2-5]: deleted for the subscriber it was queued for; the
    # message without an interval is still delivered.
    with Broker() as b:
        c = v5(b, "ex-gone", clean=False, props=KEEP)
        c.subscribe("exg/#", qos=2)
        c.disconnect()
        pub = v5(b, "ex-gone-pub")
        for q in (0, 1, 2):  # QoS 0 is not queued for an offline session at all
            pub.publish("exg/short", b"%d" % q, qos=q, props={"message_expiry_interval": 1})
        pub.publish("exg/keep", b"k", qos=1)
        testing.sleep(2.2)
        c = v5(b, "ex-gone", clean=False, props=KEEP)
        p = c.expect_publish("exg/keep", b"k")
        assert expiry(p) is None, p
        c.expect_none(0.3)
        c.disconnect()
        pub.disconnect()


@case(petrel_only="mosquitto 2.0.11 sends nothing more from the queue after dropping an expired "
                  "message there, until other traffic comes")
def expired_while_waiting_for_receive_maximum():
    # Receive Maximum 1 holds the queue behind an unacknowledged message;
    # one that expires meanwhile is not sent when the window opens.
    with Broker() as b:
        c = v5(b, "ex-rm", props={"receive_maximum": 1})
        c.subscribe("exr/#", qos=1)
        pub = v5(b, "ex-rm-pub")
        pub.publish("exr/t", b"first", qos=1)
        pub.publish("exr/t", b"short", qos=1, props={"message_expiry_interval": 1})
        pub.publish("exr/t", b"last", qos=1)
        first = c.expect_publish("exr/t", b"first", ack=False)
        c.expect_none(0.3)
        testing.sleep(2.0)
        c.send(P.puback(first.mid, version=5))
        c.expect_publish("exr/t", b"last")
        c.expect_none(0.3)
        c.disconnect()
        pub.disconnect()


@case
def retained_message_expires():
    # 3.3.1.3: an expired retained message is discarded; until then it is
    # sent with the time left.
    with Broker() as b:
        pub = v5(b, "ex-ret-pub")
        pub.publish("exret/short", b"s", qos=1, retain=True, props={"message_expiry_interval": 1})
        pub.publish("exret/long", b"l", qos=1, retain=True, props={"message_expiry_interval": 30})
        c = v5(b, "ex-ret-1")
        c.subscribe("exret/short", qos=1)
        assert expiry(c.expect_publish("exret/short", b"s", retain=True)) in (0, 1)
        c.disconnect()
        testing.sleep(2.2)
        c = v5(b, "ex-ret-2")
        c.subscribe("exret/#", qos=1)
        left = expiry(c.expect_publish("exret/long", b"l", retain=True))
        assert left is not None and left <= 28, left
        c.expect_none(0.3)
        c.unsubscribe("exret/#")
        c.subscribe("exret/#", qos=1)  # the expired one is gone for good
        c.expect_publish("exret/long", b"l", retain=True)
        c.expect_none(0.3)
        c.disconnect()
        pub.disconnect()


@case(petrel_only="mosquitto 2.0.11 drops an expired message it already sent instead of "
                  "re-sending it")
def sent_message_is_resent_after_expiry():
    # [MQTT-4.4.0-1]: unacknowledged PUBLISHes are re-sent on reconnect;
    # [MQTT-4.3.3-7]: no expiry once a QoS 2 PUBLISH has been sent. The
    # interval left is 0.
    with Broker() as b:
        c = v5(b, "ex-re", clean=False, props=KEEP)
        c.subscribe("exre/#", qos=2)
        pub = v5(b, "ex-re-pub")
        for q in (1, 2):
            pub.publish("exre/%d" % q, b"x", qos=q, props={"message_expiry_interval": 1})
        got = [c.expect_publish(ack=False) for _ in range(2)]
        c.close()
        testing.sleep(2.2)
        c = v5(b, "ex-re", clean=False, props=KEEP)
        for first in got:
            p = c.expect_publish(first.topic, b"x", qos=first.qos, dup=True)
            assert p.mid == first.mid and expiry(p) == 0, (p, first)
        c.disconnect()
        pub.disconnect()


@case(petrel_only="mosquitto 2.0.11 keeps a disconnected member's messages in its session")
def expired_message_not_handed_to_another_member():
    # A shared subscription's queued message that expired is not passed to
    # another member when its member leaves [MQTT-3.3.2-5].
    with Broker() as b:
        a = v5(b, "ex-sh-a", props={"receive_maximum": 1})
        a.subscribe("$share/g/exs/#", qos=1)
        bb = v5(b, "ex-sh-b")
        bb.subscribe("$share/g/exs/#", qos=1)
        pub = v5(b, "ex-sh-pub")
        pub.publish("exs/t", b"0", qos=1)  # A, held unacknowledged
        pub.publish("exs/t", b"1", qos=1)  # B
        pub.publish("exs/t", b"2", qos=1, props={"message_expiry_interval": 1})  # A's queue
        a.expect_publish("exs/t", b"0", ack=False)
        bb.expect_publish("exs/t", b"1")
        testing.sleep(2.2)
        a.close()
        bb.expect_publish("exs/t", b"0")
        bb.expect_none(0.4)
        bb.disconnect()
        pub.disconnect()


@case
def third_party_clients_see_the_interval():
    pahoclient.require()
    mqttjs.require()
    with Broker() as b:
        with tools.Sub(b, "tpx/#", qos=1, version=5, v5props=True) as s, \
                pahoclient.Client(b, "ex-paho", version=5) as p, \
                mqttjs.Client(b, name="ex-js") as js:
            p.subscribe("tpx/#", qos=1)
            js.connect(clientId="ex-js", protocolVersion=5)
            js.subscribe("tpx/#", qos=1)
            tools.pub(b, "tpx/mp", "a", qos=1, version=5,
                      extra=["-D", "publish", "message-expiry-interval", "40"])
            p.publish("tpx/paho", b"b", qos=1, properties={"MessageExpiryInterval": 50})
            js.publish("tpx/js", "c", qos=1, properties={"messageExpiryInterval": 70})
            want = {"tpx/mp": 40, "tpx/paho": 50, "tpx/js": 70}
            for m in s.messages(3):
                assert m.props.get("message_expiry_interval") in (want[m.topic],
                                                                   want[m.topic] - 1), m
            for m in p.messages(3):
                left = pahoclient.prop(m, "MessageExpiryInterval")
                assert left in (want[m.topic], want[m.topic] - 1), (m.topic, left)
            for m in js.messages(3):
                left = m["properties"].get("messageExpiryInterval")
                assert left in (want[m["topic"]], want[m["topic"]] - 1), m
            js.end()
            p.disconnect()


main()
