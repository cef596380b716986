#!/usr/bin/python3
"""02-subscribe-overlap: a message matching several subscriptions of one
client.

3.1.1 [MQTT-3.3.5-1]: the Server MUST deliver the message respecting the
maximum QoS of all matching subscriptions (a non-normative comment allows a
copy per subscription). MQTT 5 [MQTT-3.3.4-2] says the same and adds that the
Server MAY deliver further copies, one per subscription. Petrel sends one copy
at the highest granted QoS in both versions.

mosquitto 2.0.11: in 3.1.1 it sends one copy at the QoS of the first matching
subscription it visits (exact level, then `+`, then `#`), which breaks
[MQTT-3.3.5-1] when that one has a lower QoS; in 5.0 it sends one copy per
subscription. Those cases are Petrel-only."""

from lib import client
from lib.broker import Broker
from lib.testing import case, main


def publishes(c, window=0.4):
    got = client.drain_all([c], quiet=window)[c]
    return [(p.topic, p.payload, p.qos) for p in got if p.name == "PUBLISH"]


def check_one_copy(v, subs, separate, want_qos):
    with Broker() as b:
        c = client.connect(b, "ov%d" % v, version=v)
        if separate:
            for f, q in subs:
                c.subscribe(f, qos=q)
        else:
            c.subscribe(subs)
        pub = client.connect(b, "ovpub%d" % v, version=v)
        pub.publish("ov/a", b"x", qos=2)
        got = publishes(c)
        assert got == [("ov/a", b"x", want_qos)], got


@case
def v311_one_copy_wildcards():
    check_one_copy(4, [("ov/#", 1), ("ov/+", 2)], separate=False, want_qos=2)
    check_one_copy(4, [("ov/#", 1), ("ov/+", 2)], separate=True, want_qos=2)


@case(petrel_only="mosquitto 2.0.11 uses the QoS of the exact-match subscription")
def v311_one_copy_highest_qos_over_exact_match():
    check_one_copy(4, [("ov/#", 1), ("ov/+", 2), ("ov/a", 0)], separate=False, want_qos=2)
    check_one_copy(4, [("ov/#", 2), ("ov/a", 1)], separate=True, want_qos=2)


@case(petrel_only="mosquitto sends one copy per matching subscription in 5.0 (allowed)")
def v5_one_copy_highest_qos():
    check_one_copy(5, [("ov/#", 1), ("ov/+", 2), ("ov/a", 0)], separate=True, want_qos=2)


@case
def v5_at_least_one_copy_at_highest_qos():
    # What every 5.0 Server must do: some copy at the maximum QoS
    # [MQTT-3.3.4-2], and no more than one per subscription.
    with Broker() as b:
        c = client.connect(b, "ovmin", version=5)
        c.subscribe("ov/#", qos=1)
        c.subscribe("ov/+", qos=2)
        pub = client.connect(b, "ovminpub", version=5)
        pub.publish("ov/b", b"z", qos=2)
        got = publishes(c)
        assert 1 <= len(got) <= 2 and max(q for _, _, q in got) == 2, got


main()
