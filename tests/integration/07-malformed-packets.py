#!/usr/bin/python3
"""07-malformed-packets: bad packets after a successful CONNECT. Each one
closes that connection only (MQTT 5: maybe after a DISCONNECT with a reason
code >= 0x80); a client connected at the same time keeps working.

Rules: [MQTT-3.3.1-4] PUBLISH QoS 3; [MQTT-3.8.1-1]/[MQTT-3.10.1-1]/
[MQTT-3.6.1-1] reserved flags of SUBSCRIBE / UNSUBSCRIBE / PUBREL;
[MQTT-2.2.2-2] invalid flags close the connection; [MQTT-3.3.2-2] no
wildcards in a topic name; [MQTT-1.5.3-1]/[MQTT-1.5.3-2] ill-formed UTF-8 and
U+0000; [MQTT-2.3.1-1] a QoS > 0 packet id is non-zero; [MQTT-3.8.3-3] a
SUBSCRIBE carries at least one filter; section 2.2.1: packet types 0 and (3.x) 15
are reserved; [MQTT-3.3.1-2] DUP 0 for QoS 0 (5.0 [MQTT-3.3.1-2] same)."""

from lib import client
from lib import packets as P
from lib.broker import Broker
from lib.bystander import Bystander
from lib.testing import case, main


def bad_after_connect(v):
    """(name, bytes) pairs, each a malformed packet or protocol violation."""
    return [
        ("publish qos 3", P.publish("t", b"x", qos=3, mid=1, version=v)),
        ("subscribe flags 0", P.subscribe(1, "t", flags=0x0, version=v)),
        ("subscribe flags 3", P.subscribe(1, "t", flags=0x3, version=v)),
        ("unsubscribe flags 0", P.unsubscribe(1, "t", flags=0x0, version=v)),
        ("pubrel flags 0", P.pubrel(1, version=v, flags=0x0)),
        ("wildcard + in topic", P.publish("a/+/b", b"x", version=v)),
        ("wildcard # in topic", P.publish("a/#", b"x", qos=1, mid=2, version=v)),
        ("bad utf-8 topic", P.publish(b"a/\xc3\x28", b"x", version=v)),
        ("surrogate in topic", P.publish(b"a/\xed\xa0\x80", b"x", version=v)),
        ("nul in topic", P.publish(b"a/\x00b", b"x", version=v)),
        ("packet id 0", P.publish("t", b"x", qos=1, mid=0, version=v)),
        ("subscribe id 0", P.subscribe(0, "t", version=v)),
        ("subscribe without filters", P.frame(P.SUBSCRIBE, 2, P.u16(1) +
                                              (b"\x00" if v == 5 else b""))),
        ("subscribe qos 3", P.subscribe(1, [("t", 3)], version=v)),
        ("reserved type 0", P.frame(0, 0, b"")),
        ("connack from client", P.connack(0, version=v)),
        ("empty topic", P.publish("", b"x", version=v)),
    ] + ([("reserved type 15", P.frame(15, 0, b""))] if v != 5 else [
        ("bad property id", P.frame(P.PUBLISH, 0, P.utf8("t") + b"\x02\x7f\x00")),
        ("property twice", P.frame(P.PUBLISH, 0, P.utf8("t") + b"\x04\x01\x00\x01\x00")),
    ])


def check_each(cases):
    with Broker() as b:
        problems = []
        for v in (4, 5):
            by = Bystander(b, "by%d" % v, version=v)
            for name, data in cases(v):
                c = client.connect(b, "bad%d" % v, version=v)
                c.send(data)
                try:
                    seen = c.expect_closed(timeout=2)
                    for p in seen:
                        assert p.rc >= 0x80, p
                except AssertionError as e:
                    problems.append("v%d %s: %s" % (v, name, e))
                    c.close()
                by.check()
        assert not problems, "\n".join(problems)


@case
def each_bad_packet_closes_only_its_connection():
    check_each(bad_after_connect)


def bad_lengths(v):
    return [
        ("pingreq with body", P.frame(P.PINGREQ, 0, b"\x00")),
        ("disconnect with body", P.frame(P.DISCONNECT, 0, b"\x00\x00\x00" if v == 5 else b"\x00")),
        ("puback too long", P.frame(P.PUBACK, 0, b"\x00\x01\x00\x00\x00" if v == 5 else b"\x00\x01\x00")),
    ]


@case(petrel_only="mosquitto ignores extra bytes in PINGREQ / DISCONNECT / PUBACK")
def packets_with_wrong_lengths():
    # 3.1.1 sections 3.12/3.14/3.4: PINGREQ and (3.1.1) DISCONNECT have no
    # body; a PUBACK has a 2-byte body (5.0: + reason code and properties).
    check_each(bad_lengths)


@case
def dup_flag_on_qos0():
    # [MQTT-3.3.1-2]: DUP must be 0 on QoS 0; a Server should treat it as
    # malformed. Some brokers ignore it; the connection must at least not
    # disturb others, and it must not be delivered twice.
    with Broker() as b:
        by = Bystander(b)
        c = client.connect(b, "dup0")
        c.send(P.frame(P.PUBLISH, 0x08, P.utf8("dup0/t") + b"x"))
        try:
            c.ping(timeout=1)
        except AssertionError:
            pass
        by.check()


@case
def bad_packet_in_the_middle_of_a_stream():
    # Good packets, then a bad one in the same write: the good ones before it
    # are handled, the connection then closes.
    with Broker() as b:
        by = Bystander(b)
        watch = client.connect(b, "watch")
        watch.subscribe("mid/#", qos=1)
        c = client.connect(b, "streamer")
        c.send(P.publish("mid/a", b"1", qos=1, mid=1), P.publish("mid/b", b"2", qos=0),
               P.publish("mid/c", b"3", qos=3, mid=2), P.publish("mid/d", b"never", qos=0))
        c.expect_closed(allow=("PUBACK",))
        watch.expect_publish("mid/a", b"1", qos=1)
        watch.expect_publish("mid/b", b"2", qos=0)
        watch.expect_none(0.3)
        by.check()


main()
