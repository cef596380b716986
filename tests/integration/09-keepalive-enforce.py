#!/usr/bin/python3
"""09-keepalive-enforce: a client silent for 1.5 times its Keep Alive is
disconnected, and its will is published; traffic or PINGREQ keeps it alive;
`max_keepalive` lowers the keep-alive (MQTT 5: Server Keep Alive in CONNACK).

3.1.1 [MQTT-3.1.2-24]: disconnect after one and a half Keep Alive periods
without a packet; [MQTT-3.1.2-8]: the will is published then. MQTT 5
3.1.2.10 / 3.2.2.3.14: the Server Keep Alive replaces the client's value,
and the MQTT 5 Server may send DISCONNECT 0x8D (Keep Alive timeout) first.

Petrel must close within SLACK (1 s) after the 1.5x deadline. mosquitto
2.0.11 checks keep-alives only every few seconds (a silent client with Keep
Alive 1 goes after about 5 s), so against it the slack is 6 s."""

# timeout: 90

import time

from lib import client, env
from lib.broker import Broker
from lib.testing import case, main


SLACK = 6.0 if env.is_mosquitto() else 1.0


def closed_after(c, keepalive):
    """Asserts c, silent from now on, is still open shortly before 1.5 x
    keepalive seconds and closed by 1.5 x keepalive + SLACK (scaled)."""
    deadline = 1.5 * keepalive
    p = c.try_recv(deadline - 0.5, exact=True)
    assert p is None, "got %r before the keep-alive ran out" % p
    seen = c.expect_closed(timeout=0.5 + SLACK)
    for p in seen:
        assert p.rc == 0x8D, p  # MQTT 5: Keep Alive timeout


@case
def silent_client_closed_at_one_and_a_half():
    # Keep Alive 2: the deadline is 3 s after the last packet; still open at
    # 2.5 s, closed by 3 s + SLACK.
    with Broker() as b:
        for v in (4, 5):
            c = client.connect(b, "ka%d" % v, version=v, keepalive=2)
            closed_after(c, 2)


@case
def pingreq_and_traffic_keep_alive():
    with Broker() as b:
        for v in (4, 5):
            c = client.connect(b, "kp%d" % v, version=v, keepalive=1)
            c.subscribe("ka/t", qos=0)
            for i in range(6):   # 3.6 s in all, more than twice 1.5 s
                time.sleep(0.6)
                if i % 2:
                    c.ping()
                else:
                    c.publish("ka/t", b"tick")
                    c.expect_publish("ka/t", b"tick")
            closed_after(c, 1)


@case
def keepalive_zero_never_times_out():
    # Keep Alive 0 turns the mechanism off (3.1.2.10).
    with Broker() as b:
        c = client.connect(b, "k0", version=4, keepalive=0)
        time.sleep(2.5)
        c.ping()


@case
def will_on_keepalive_timeout():
    with Broker() as b:
        w = client.connect(b, "kw-watch", version=4)
        w.subscribe("will/ka/#", qos=1)
        for v in (4, 5):
            c = client.connect(b, "kw%d" % v, version=v, keepalive=1, will_topic="will/ka/%d" % v,
                               will_payload=b"timed out", will_qos=1)
            w.expect_publish("will/ka/%d" % v, b"timed out", qos=1, timeout=1.5 + SLACK)
            c.expect_closed(timeout=1)


@case
def v5_server_keep_alive_from_max_keepalive():
    # The client asks for 60 s (or 0 = none); max_keepalive makes the broker
    # answer with Server Keep Alive = max_keepalive and enforce it. mosquitto
    # refuses a max_keepalive under 10, so there only the CONNACK is checked
    # (enforcing 10 s would take 15 s + SLACK).
    mk = 10 if env.is_mosquitto() else 2
    with Broker(conf=["max_keepalive %d" % mk]) as b:
        for asked in (60, 0):
            c = client.connect(b, "ska%d" % asked, version=5, keepalive=asked)
            assert c.connack.props.get("server_keep_alive") == mk, c.connack
        c = client.connect(b, "ska-low", version=5, keepalive=1)
        assert c.connack.props.get("server_keep_alive") in (None, 1), c.connack
        if not env.is_mosquitto():
            c = client.connect(b, "ska-enf", version=5, keepalive=60)
            closed_after(c, mk)


@case(petrel_only="mosquitto 2.0.11 keeps a 3.1.1 client's larger keep-alive")
def v311_keepalive_lowered_by_max_keepalive():
    # 3.1.1 has no way to tell the client; Petrel still applies max_keepalive.
    with Broker(conf=["max_keepalive 2"]) as b:
        c = client.connect(b, "low4", version=4, keepalive=60)
        closed_after(c, 2)


main()
