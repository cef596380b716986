#!/usr/bin/python3
"""03-publish-inflight: the outgoing window per client.

`max_inflight_messages N`: at most N QoS 1/2 messages sent to a client and
not yet acknowledged (QoS 2: until PUBCOMP); the rest wait in order. MQTT 5
[MQTT-3.3.4-9]: the Server also never exceeds the client's Receive Maximum,
and it frees a slot on PUBACK / PUBCOMP (section 4.9).

mosquitto 2.0.11 fills the first window correctly but, once acknowledgements
come in, sends more than the slots freed (after one PUBACK with a window of
3 it sends 3 more); the cases that check the window while it slides are
Petrel-only."""

from lib import client
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


def publish_n(b, topic, n, qos):
    pub = client.connect(b, "ifp-%s" % topic.replace("/", "-"), version=4)
    for i in range(n):
        pub.publish(topic, b"%d" % i, qos=qos)
    return pub


def take(c, n, qos):
    got = [c.expect("PUBLISH", qos=qos) for _ in range(n)]
    c.expect_none(0.3)
    return got


@case
def qos1_first_window_then_the_rest_in_order():
    with Broker(conf=["max_inflight_messages 3"]) as b:
        sub = client.connect(b, "if1", version=4)
        sub.subscribe("if/1", qos=1)
        publish_n(b, "if/1", 8, qos=1)
        got = take(sub, 3, 1)
        assert [p.payload for p in got] == [b"0", b"1", b"2"], got
        for p in got:
            sub.send(P.puback(p.mid))
        rest = [sub.expect_publish("if/1", qos=1).payload for _ in range(5)]
        assert rest == [b"3", b"4", b"5", b"6", b"7"], rest
        sub.expect_none(0.3)


@case(petrel_only="mosquitto 2.0.11 refills more slots than were freed")
def qos1_window_slides_one_for_one():
    with Broker(conf=["max_inflight_messages 3"]) as b:
        sub = client.connect(b, "if1s", version=4)
        sub.subscribe("if/1s", qos=1)
        publish_n(b, "if/1s", 8, qos=1)
        window = take(sub, 3, 1)
        for i in range(3, 8):
            oldest = window.pop(0)
            sub.send(P.puback(oldest.mid))  # one slot free: exactly one more
            window += take(sub, 1, 1)
            assert window[-1].payload == b"%d" % i, window


@case
def qos2_window_held_until_pubcomp():
    with Broker(conf=["max_inflight_messages 2"]) as b:
        sub = client.connect(b, "if2", version=4)
        sub.subscribe("if/2", qos=2)
        publish_n(b, "if/2", 5, qos=2)
        got = take(sub, 2, 2)
        sub.send(P.pubrec(got[0].mid))
        sub.expect("PUBREL", mid=got[0].mid)
        sub.expect_none(0.3)                # PUBREC alone does not free the slot
        sub.send(P.pubcomp(got[0].mid))
        nxt = sub.expect("PUBLISH", payload=b"2")
        for p in (got[1], nxt):
            sub.ack(p)
        for i in (3, 4):
            sub.expect_publish("if/2", b"%d" % i, qos=2)
        sub.expect_none(0.3)


@case
def v5_receive_maximum_is_respected():
    # The client's Receive Maximum (2) is below the broker's window (default).
    with Broker() as b:
        sub = client.connect(b, "ifrm", version=5, props={"receive_maximum": 2})
        sub.subscribe("if/rm", qos=1)
        publish_n(b, "if/rm", 6, qos=1)
        got = take(sub, 2, 1)
        assert [p.payload for p in got] == [b"0", b"1"], got


@case(petrel_only="mosquitto 2.0.11 refills more slots than were freed")
def v5_receive_maximum_while_sliding():
    with Broker() as b:
        sub = client.connect(b, "ifrms", version=5, props={"receive_maximum": 2})
        sub.subscribe("if/rms", qos=1)
        publish_n(b, "if/rms", 6, qos=1)
        for first in (0, 2, 4):
            got = take(sub, 2, 1)
            assert [p.payload for p in got] == [b"%d" % first, b"%d" % (first + 1)], got
            for p in got:
                sub.send(P.puback(p.mid, version=5))


@case
def qos0_not_held_by_full_window():
    # The window counts QoS 1 and 2 only (MQTT 5 section 4.9: Receive Maximum
    # does not limit QoS 0); a QoS 0 message still arrives.
    with Broker(conf=["max_inflight_messages 1"]) as b:
        sub = client.connect(b, "if0", version=4)
        sub.subscribe("if/0", qos=1)
        pub = publish_n(b, "if/0", 3, qos=1)
        first = sub.expect("PUBLISH", payload=b"0")
        pub.publish("if/0", b"zero", qos=0)
        sub.expect("PUBLISH", payload=b"zero", qos=0)
        sub.send(P.puback(first.mid))
        for i in (1, 2):
            sub.expect_publish("if/0", b"%d" % i, qos=1)


main()
