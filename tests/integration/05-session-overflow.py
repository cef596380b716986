#!/usr/bin/python3
"""05-session-overflow: `max_queued_messages` bounds the messages queued
for an offline persistent session; the excess is dropped and counted in
`$SYS/broker/publish/messages/dropped` (mosquitto's topic name).

Which end of the queue is dropped is the broker's choice (both keep the
oldest); the test checks that what arrives is in order, that nothing arrives
twice, and that received + dropped = published."""

import time

from lib import client, env
from lib.broker import Broker
from lib.testing import case, main

DROPPED = "$SYS/broker/publish/messages/dropped"


def dropped_count(b, at_least, timeout=6):
    """Waits for the dropped counter to reach at_least; returns its value."""
    m = client.connect(b, "sysmon-%d" % at_least)
    m.subscribe(DROPPED, qos=0)
    deadline = time.monotonic() + env.scaled(timeout)
    value = None
    while time.monotonic() < deadline:
        p = m.try_recv(0.5)
        if p is not None and p.name == "PUBLISH":
            value = int(float(p.payload))
            if value >= at_least:
                break
    m.disconnect()
    assert value is not None, "no %s message in %.0fs" % (DROPPED, env.scaled(timeout))
    return value


@case
def offline_queue_overflow_drops_and_counts():
    with Broker(conf=["max_queued_messages 3", "sys_interval 1"]) as b:
        s = client.connect(b, "ovf", clean=False)
        s.subscribe("ovf/t", qos=1)
        s.disconnect()
        pub = client.connect(b, "ovf-pub")
        for i in range(10):
            pub.publish("ovf/t", b"%d" % i, qos=1)
        s = client.connect(b, "ovf", clean=False)
        got = []
        for _ in range(10):
            p = s.try_recv(0.6)
            if p is None:
                break
            got.append(int(p.payload))
            s.ack(p)
        assert 3 <= len(got) < 10, got
        assert got == sorted(set(got)), got
        dropped = dropped_count(b, 10 - len(got))
        assert dropped == 10 - len(got), (got, dropped)


@case
def queue_limit_is_per_session():
    # One session overflowing does not cost another session its messages.
    with Broker(conf=["max_queued_messages 2"]) as b:
        small = client.connect(b, "small", clean=False)
        small.subscribe("pq/t", qos=1)
        small.disconnect()
        live = client.connect(b, "live")
        live.subscribe("pq/t", qos=1)
        pub = client.connect(b, "pq-pub")
        for i in range(6):
            pub.publish("pq/t", b"%d" % i, qos=1)
        got = [live.expect_publish("pq/t", qos=1).payload for _ in range(6)]
        assert got == [b"%d" % i for i in range(6)], got


main()
