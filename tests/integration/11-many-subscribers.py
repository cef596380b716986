#!/usr/bin/python3
"""11-many-subscribers: 200 clients subscribed at once (3.1.1 and 5, exact
and wildcard filters, QoS 0/1/2) each receive every message, in order
at min(published, granted) QoS. Order: [MQTT-4.6.0-6] promises it per topic
and QoS only (a QoS 0 message may overtake QoS 1/2 ones waiting for the
inflight window), so each QoS's sub-sequence must be in order."""

import select
import time

from lib import client, env
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

SUBSCRIBERS = 200
MESSAGES = 50


def subscribe_all(b, n):
    subs = []
    filters = ["many/t", "many/#", "many/+", "+/t"]
    for i in range(n):
        v = 4 if i % 2 else 5
        c = client.Client(b, version=v, name="s%d" % i)
        c.connect("many-%d" % i)
        q = i % 3
        c.subscribe(filters[i % len(filters)], qos=q)
        c.want_qos = q
        subs.append(c)
    return subs


def in_order(seq, n):
    """True when seq holds 0..n-1 once each and each QoS class is in order."""
    if sorted(seq) != list(range(n)):
        return False
    return all([x for x in seq if x % 3 == q] == list(range(q, n, 3)) for q in range(3))


def collect(subs, n, limit=60, stall=10):
    """Reads all subscribers until each has n messages; acknowledges as it goes."""
    got = {c: [] for c in subs}
    socks = {c.sock: c for c in subs}
    done = 0
    deadline = time.monotonic() + env.scaled(limit)
    progress = time.monotonic()
    while done < len(subs):
        now = time.monotonic()
        assert now < deadline and now - progress < env.scaled(stall), \
            "stalled: %d of %d subscribers complete; counts %s" % (
                done, len(subs), sorted({len(v) for v in got.values()}))
        ready, _, _ = select.select(list(socks), [], [], 1.0)
        if ready:
            progress = time.monotonic()
        for s in ready:
            c = socks[s]
            for p in c.read_now():
                if p.name == "PUBREL":
                    c.send(P.pubcomp(p.mid, version=c.version))
                    continue
                assert p.name == "PUBLISH", (c.name, p)
                # Message i was published at QoS i % 3.
                assert p.qos == min(int(p.payload) % 3, c.want_qos), (c.name, p)
                if p.qos == 1:
                    c.send(P.puback(p.mid, version=c.version))
                elif p.qos == 2:
                    c.send(P.pubrec(p.mid, version=c.version))
                got[c].append(int(p.payload))
                if len(got[c]) == n:
                    done += 1
    return got


@case
def two_hundred_subscribers_get_everything():
    with Broker(conf=["max_queued_messages 0"]) as b:
        subs = subscribe_all(b, SUBSCRIBERS)
        pub = client.connect(b, "many-pub", version=4)
        for i in range(MESSAGES):
            pub.publish("many/t", b"%d" % i, qos=i % 3)
        got = collect(subs, MESSAGES)
        bad = [c.name for c, v in got.items() if not in_order(v, MESSAGES)]
        assert not bad, "%d subscribers got wrong sequences, e.g. %s: %r" % (
            len(bad), bad[0], got[[c for c in subs if c.name == bad[0]][0]][:10])
        # Nothing extra arrives (QoS 2 PUBRELs are answered).
        client.drain_all(subs, quiet=0.3)
        for c in subs:
            c.disconnect()


@case
def subscribers_come_and_go_while_publishing():
    # Half the subscribers disconnect midway; the others still get everything.
    with Broker() as b:
        subs = subscribe_all(b, 40)
        pub = client.connect(b, "churn-pub", version=5)
        for i in range(10):
            pub.publish("many/t", b"%d" % i, qos=i % 3)
        leaving = subs[::2]
        for c in leaving:
            c.close()
        staying = subs[1::2]
        for i in range(10, 20):
            pub.publish("many/t", b"%d" % i, qos=i % 3)
        got = collect(staying, 20)
        assert all(in_order(v, 20) for v in got.values()), got


main()
