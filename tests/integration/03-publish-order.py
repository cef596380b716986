#!/usr/bin/python3
"""03-publish-order: one publisher keeps 100 messages in flight and sends
3,000 QoS 2 (then QoS 1) messages; the subscriber gets every one exactly
once and in order.

[MQTT-4.3.3-2] (3.1.1) no duplicate onward delivery for QoS 2; 3.1.1
section 4.6 / [MQTT-4.6.0-6]: an Ordered Topic delivers messages from one
Client in the order received; QoS 1 may in principle duplicate, but a
broker with no reconnects must not, so we demand exactly once for both."""
# timeout: 120

import select
import time

from lib import client, env, mqttjs
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

N = 3000
WINDOW = 100


# The publisher runs ahead of the subscriber; the broker must queue what the
# subscriber has not taken yet, so the per-session queue limit is lifted.
# mosquitto also applies max_inflight_messages (default 20) to incoming QoS 2
# messages and drops a publisher that has more in flight; 0 = no limit.
CONF = ["max_queued_messages 0", "max_inflight_messages 0"]


def pump(b, qos, v, n=N, window=WINDOW, limit=60, stall=10):
    sub = client.connect(b, "ord-sub%d" % v, version=v)
    sub.subscribe("ord/t", qos=qos)
    pub = client.connect(b, "ord-pub%d" % v, version=v)
    # MQTT 5 [MQTT-3.3.4-7]: never more in flight than the Server's Receive Maximum.
    window = min(window, pub.connack.props.get("receive_maximum", 65535))
    inflight, sent, received, completions = {}, 0, [], 0
    unreleased = set()  # subscriber side: PUBREC sent, PUBREL not yet seen
    deadline = time.monotonic() + env.scaled(limit)
    progress = time.monotonic()
    while len(received) < n or inflight or unreleased:
        now = time.monotonic()
        assert now < deadline and now - progress < env.scaled(stall), \
            "stuck: sent %d, in flight %d, received %d" % (sent, len(inflight), len(received))
        while sent < n and len(inflight) < window:
            mid = pub.next_mid()
            pub.send(P.publish("ord/t", b"%d" % sent, qos=qos, mid=mid, version=v))
            inflight[mid] = sent
            sent += 1
        ready, _, _ = select.select([pub.sock, sub.sock], [], [], 1.0)
        if ready:
            progress = time.monotonic()
        if pub.sock in ready:
            for p in pub.read_now():
                if p.name == "PUBREC":
                    assert p.mid in inflight, p
                    pub.send(P.pubrel(p.mid, version=v))
                elif p.name in ("PUBACK", "PUBCOMP"):
                    assert p.name == ("PUBACK" if qos == 1 else "PUBCOMP"), p
                    del inflight[p.mid]
                    completions += 1
                else:
                    raise AssertionError("publisher got %r" % p)
        if sub.sock in ready:
            for p in sub.read_now():
                if p.name == "PUBLISH":
                    assert p.qos == qos and not p.dup, p
                    received.append(int(p.payload))
                    if qos == 1:
                        sub.send(P.puback(p.mid, version=v))
                    else:
                        sub.send(P.pubrec(p.mid, version=v))
                        unreleased.add(p.mid)
                elif p.name == "PUBREL":
                    unreleased.discard(p.mid)
                    sub.send(P.pubcomp(p.mid, version=v))
                else:
                    raise AssertionError("subscriber got %r" % p)
    assert completions == n
    if received != list(range(n)):
        dups = len(received) - len(set(received))
        first_bad = next(i for i, x in enumerate(received) if x != i)
        raise AssertionError("%d received, %d duplicates, first out of order at %d: %r"
                             % (len(received), dups, first_bad, received[first_bad:first_bad + 5]))
    sub.expect_none(0.2)


@case
def qos2_3000_in_order_v311():
    with Broker(conf=CONF) as b:
        pump(b, 2, 4)


@case
def qos2_3000_in_order_v5():
    with Broker(conf=CONF) as b:
        pump(b, 2, 5)


@case
def qos1_3000_in_order():
    with Broker(conf=CONF) as b:
        pump(b, 1, 4)
        pump(b, 1, 5)


@case
def mqttjs_publisher_in_order():
    # MQTT.js sends 1,000 QoS 2 messages as fast as it can; a raw subscriber
    # gets them exactly once, in order.
    mqttjs.require()
    with Broker(conf=CONF) as b, mqttjs.Client(b) as js:
        sub = client.connect(b, "ord-js-sub", version=5)
        sub.subscribe("ord/js", qos=2)
        js.connect(clientId="ord-js", protocolVersion=5)
        tag = js.cmd("publish_many", topic="ord/js", count=1000, qos=2, prefix="")
        got = []
        for _ in range(1000):
            got.append(int(sub.expect_publish("ord/js", qos=2, timeout=10).payload))
        e = js.expect("published_many", tag=tag, timeout=30)
        assert not e.get("error"), e
        assert got == list(range(1000)), got[:20]
        js.end()


main()
