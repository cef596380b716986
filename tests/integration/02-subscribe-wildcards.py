#!/usr/bin/python3
"""02-subscribe-wildcards: topic filter matching with `+` and `#`, and the
rule that wildcards at the first level do not match `$` topics."""

from lib import client, tools
from lib.broker import Broker
from lib.testing import case, main

TOPICS = ["sport", "sport/", "sport/tennis", "sport/tennis/player1",
          "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon",
          "Sport/tennis", "/finance", "a//b", "$foo/bar"]

# filter -> the TOPICS it matches (MQTT 3.1.1 section 4.7, MQTT 5 section 4.7).
EXPECT = {
    # [MQTT-4.7.1-2] `#` matches the parent level and any number of levels.
    "sport/tennis/player1/#": ["sport/tennis/player1", "sport/tennis/player1/ranking",
                               "sport/tennis/player1/score/wimbledon"],
    "sport/#": ["sport", "sport/", "sport/tennis", "sport/tennis/player1",
                "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon"],
    # [MQTT-4.7.2-1] `#` does not match topics starting with `$`.
    "#": [t for t in TOPICS if not t.startswith("$")],
    # [MQTT-4.7.1-3] `+` matches exactly one level, empty levels included.
    "sport/tennis/+": ["sport/tennis/player1"],
    "sport/+": ["sport/", "sport/tennis"],
    "+/+": ["sport/", "sport/tennis", "Sport/tennis", "/finance"],
    "/+": ["/finance"],
    "+": ["sport"],
    "+/tennis/#": ["sport/tennis", "sport/tennis/player1", "sport/tennis/player1/ranking",
                   "sport/tennis/player1/score/wimbledon", "Sport/tennis"],
    "a/+/b": ["a//b"],
    # Topic matching is case-sensitive.
    "Sport/#": ["Sport/tennis"],
    # [MQTT-4.7.2-1]: `+/...` does not match `$foo/...`; an explicit `$foo/+` does.
    "+/bar": [],
    "$foo/+": ["$foo/bar"],
    "$foo/#": ["$foo/bar"],
}


@case
def filter_matching_table():
    with Broker() as b:
        for v in (4, 5):
            subs = {}
            for f in EXPECT:
                c = client.connect(b, "w%d-%d" % (v, len(subs)), version=v)
                c.subscribe(f, qos=1)
                subs[f] = c
            pub = client.connect(b, "wpub%d" % v, version=v)
            for t in TOPICS:
                pub.publish(t, t.encode(), qos=1)
            received = client.drain_all(list(subs.values()))
            for f, c in subs.items():
                got = [p.topic for p in received[c] if p.name == "PUBLISH"]
                assert sorted(got) == sorted(EXPECT[f]), "v%d filter %r got %r, want %r" % (
                    v, f, got, EXPECT[f])
                c.disconnect()


@case
def hash_does_not_match_sys():
    # [MQTT-4.7.2-1] with real $SYS topics: `#` and `+/broker/#` get none of
    # them, `$SYS/#` gets them.
    with Broker(conf=["sys_interval 1"]) as b:
        every = client.connect(b, "every", version=4)
        every.subscribe(["#", "+/broker/#"], qos=0)
        sys_sub = client.connect(b, "syssub", version=4)
        sys_sub.subscribe("$SYS/#", qos=0)
        p = sys_sub.expect_publish(timeout=5)
        assert p.topic.startswith("$SYS/"), p
        p = every.try_recv(2.5)
        assert p is None, "`#` matched %r" % p


@case
def mosquitto_sub_wildcards():
    with Broker() as b:
        for v in (4, 5):
            with tools.Sub(b, ["sport/+/player1", "x/#"], qos=1, version=v) as s:
                for t in ("sport/tennis/player1", "sport/tennis/player2", "x", "x/y/z"):
                    tools.pub(b, t, t, qos=1, version=v)
                got = sorted(m.topic for m in s.messages(3))
                assert got == ["sport/tennis/player1", "x", "x/y/z"], got
                s.expect_none(0.3)


main()
