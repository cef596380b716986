#!/usr/bin/python3
"""12-sys-topics: `$SYS/broker/...` statistics under mosquitto's topic names,
published every `sys_interval` seconds (0 = none). Values are text: counts
as integers, loads as decimals, uptime as "N seconds"."""

import re
import time

from lib import client, env, tools
from lib.broker import Broker
from lib.testing import case, main

REQUIRED = [
    "$SYS/broker/version",
    "$SYS/broker/uptime",
    "$SYS/broker/clients/connected",
    "$SYS/broker/messages/received",
    "$SYS/broker/messages/sent",
    "$SYS/broker/publish/messages/dropped",
    "$SYS/broker/load/messages/received/1min",
    "$SYS/broker/load/messages/sent/1min",
]
INTEGER = re.compile(rb"^\d+$")
DECIMAL = re.compile(rb"^\d+(\.\d+)?$")


def collect(c, topics, timeout=5):
    """Latest payload per $SYS topic seen within timeout, until all of topics came."""
    seen = {}
    deadline = time.monotonic() + env.scaled(timeout)
    while time.monotonic() < deadline and not set(topics) <= set(seen):
        p = c.try_recv(0.3)
        if p is not None and p.name == "PUBLISH":
            seen[p.topic] = p.payload
    return seen


def value(c, topic, at_least, timeout=6):
    """Waits until topic's integer value is >= at_least; returns it."""
    deadline = time.monotonic() + env.scaled(timeout)
    last = None
    while time.monotonic() < deadline:
        p = c.try_recv(0.3)
        if p is not None and p.name == "PUBLISH" and p.topic == topic:
            last = int(p.payload)
            if last >= at_least:
                return last
    raise AssertionError("%s stayed at %r, want >= %d" % (topic, last, at_least))


@case
def required_topics_and_formats():
    with Broker(conf=["sys_interval 1"]) as b:
        c = client.connect(b, "sys-all")
        c.subscribe("$SYS/#", qos=0)
        seen = collect(c, REQUIRED)
        missing = [t for t in REQUIRED if t not in seen]
        assert not missing, "missing %s; got %s" % (missing, sorted(seen))
        assert seen["$SYS/broker/version"].strip(), seen["$SYS/broker/version"]
        assert re.match(rb"^\d+ seconds$", seen["$SYS/broker/uptime"]), seen["$SYS/broker/uptime"]
        for t in REQUIRED[2:6]:
            assert INTEGER.match(seen[t]), (t, seen[t])
        for t in REQUIRED[6:]:
            assert DECIMAL.match(seen[t]), (t, seen[t])


@case
def uptime_advances_every_interval():
    with Broker(conf=["sys_interval 1"]) as b:
        c = client.connect(b, "sys-up")
        c.subscribe("$SYS/broker/uptime", qos=0)
        values = []
        deadline = time.monotonic() + env.scaled(6)
        while len(values) < 3 and time.monotonic() < deadline:
            p = c.try_recv(0.5)
            if p is not None:
                values.append(int(p.payload.split()[0]))
        assert len(values) == 3 and values[0] < values[1] < values[2], values


@case
def counters_follow_traffic():
    with Broker(conf=["sys_interval 1"]) as b:
        mon = client.connect(b, "sys-mon")
        mon.subscribe(["$SYS/broker/clients/connected", "$SYS/broker/messages/received",
                       "$SYS/broker/messages/sent"], qos=0)
        others = [client.connect(b, "sys-c%d" % i) for i in range(5)]
        value(mon, "$SYS/broker/clients/connected", 6)
        sub = others[0]
        sub.subscribe("traffic/t", qos=1)
        for i in range(20):
            others[1].publish("traffic/t", b"%d" % i, qos=1)
        for i in range(20):
            sub.expect_publish("traffic/t", b"%d" % i, qos=1)
        value(mon, "$SYS/broker/messages/received", 20)
        value(mon, "$SYS/broker/messages/sent", 20)
        for c in others:
            c.disconnect()
        deadline = time.monotonic() + env.scaled(6)
        connected = None
        while time.monotonic() < deadline and connected != 1:
            p = mon.try_recv(0.3)
            if p is not None and p.topic == "$SYS/broker/clients/connected":
                connected = int(p.payload)
        assert connected == 1, connected


@case
def interval_zero_publishes_nothing():
    with Broker(conf=["sys_interval 0"]) as b:
        c = client.connect(b, "sys-off")
        c.subscribe("$SYS/#", qos=0)
        c.expect_none(2.0)


@case
def mosquitto_sub_reads_sys():
    with Broker(conf=["sys_interval 1"]) as b:
        with tools.Sub(b, "$SYS/broker/version", version=5) as s:
            m = s.message(timeout=5)
            assert m.payload.strip(), m


main()
