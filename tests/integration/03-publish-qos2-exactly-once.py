#!/usr/bin/python3
"""03-publish-qos2-exactly-once: the broker as QoS 2 receiver remembers
incoming packet ids until PUBREL, so a PUBLISH re-sent with DUP before the
PUBREL is acknowledged again but not delivered twice.

3.1.1 section 4.3.3 [MQTT-4.3.3-2]: until it has received the PUBREL the
receiver MUST acknowledge any subsequent PUBLISH with the same id by sending a
PUBREC, and MUST NOT cause duplicate messages to be delivered onward; it MUST
respond to a PUBREL with a PUBCOMP with the same id; after PUBREL a PUBLISH
with that id is a new publication."""

from lib import client
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


def resend_before_pubrel(versions, resends):
    with Broker() as b:
        for v in versions:
            sub = client.connect(b, "eo-sub%d" % v, version=v)
            sub.subscribe("eo/t", qos=2)
            pub = client.connect(b, "eo-pub%d" % v, version=v)
            pub.send(P.publish("eo/t", b"once", qos=2, mid=7, version=v))
            pub.expect("PUBREC", mid=7)
            for _ in range(resends):
                pub.send(P.publish("eo/t", b"once", qos=2, mid=7, dup=True, version=v))
                pub.expect("PUBREC", mid=7)
            pub.send(P.pubrel(7, version=v))
            pub.expect("PUBCOMP", mid=7, rc=0)
            sub.expect_publish("eo/t", b"once", qos=2)
            sub.expect_none(0.4)


@case
def dup_publish_before_pubrel_delivered_once():
    # MQTT 5 [MQTT-4.4.0-1] lets a Client re-send only on reconnect, but a
    # Server should still not deliver twice; one re-send on the same connection.
    resend_before_pubrel((4, 5), resends=1)


@case(petrel_only="mosquitto 2.0.11 closes the connection on a second DUP re-send")
def repeated_dup_publish_before_pubrel_v311():
    # 3.1.1 section 4.3.3: "any subsequent PUBLISH" with the id gets PUBREC.
    resend_before_pubrel((4,), resends=3)


@case
def pubrel_is_always_answered():
    # A repeated PUBREL (the PUBCOMP was lost) gets PUBCOMP again; 5.0 may
    # give 0x92 (Packet Identifier not found) for an id it no longer has.
    with Broker() as b:
        for v in (4, 5):
            pub = client.connect(b, "rel%d" % v, version=v)
            pub.publish("eo/rel", b"x", qos=2, mid=9)
            pub.send(P.pubrel(9, version=v))
            ack = pub.expect("PUBCOMP", mid=9)
            assert ack.rc in (0, P.RC_PACKET_ID_NOT_FOUND), ack
            pub.send(P.pubrel(31337, version=v))
            ack = pub.expect("PUBCOMP", mid=31337)
            assert ack.rc in (0, P.RC_PACKET_ID_NOT_FOUND), ack


@case
def same_id_after_pubcomp_is_a_new_message():
    with Broker() as b:
        for v in (4, 5):
            sub = client.connect(b, "new-sub%d" % v, version=v)
            sub.subscribe("eo/new", qos=2)
            pub = client.connect(b, "new-pub%d" % v, version=v)
            pub.publish("eo/new", b"first", qos=2, mid=3)
            pub.publish("eo/new", b"second", qos=2, mid=3)
            sub.expect_publish("eo/new", b"first", qos=2)
            sub.expect_publish("eo/new", b"second", qos=2)


@case
def interleaved_ids_each_delivered_once():
    # Several QoS 2 messages open at once, PUBRELs in a different order than
    # the PUBLISHes, with DUP re-sends in between: each delivered exactly once.
    with Broker() as b:
        sub = client.connect(b, "il-sub", version=4)
        sub.subscribe("eo/il", qos=2)
        pub = client.connect(b, "il-pub", version=4)
        ids = [11, 12, 13, 14]
        for i in ids:
            pub.send(P.publish("eo/il", b"%d" % i, qos=2, mid=i))
        for i in ids:
            pub.expect("PUBREC", mid=i)
        for i in reversed(ids):
            pub.send(P.publish("eo/il", b"%d" % i, qos=2, mid=i, dup=True))
            pub.expect("PUBREC", mid=i)
        for i in (13, 11, 14, 12):
            pub.send(P.pubrel(i))
            pub.expect("PUBCOMP", mid=i)
        got = sorted(int(sub.expect_publish("eo/il", qos=2).payload) for _ in ids)
        assert got == ids, got
        sub.expect_none(0.4)


@case
def dup_across_reconnect_delivered_once():
    # The incoming id belongs to the session: a publisher that lost its
    # connection after PUBREC re-sends the PUBLISH with DUP on a persistent
    # session, gets PUBREC, sends PUBREL; one delivery [MQTT-4.4.0-1].
    with Broker() as b:
        for v in (4, 5):
            kw = {"props": {"session_expiry_interval": 60}} if v == 5 else {}
            sub = client.connect(b, "rc-sub%d" % v, version=v)
            sub.subscribe("eo/rc", qos=2)
            pub = client.connect(b, "rc-pub%d" % v, version=v, clean=False, **kw)
            pub.send(P.publish("eo/rc", b"survivor", qos=2, mid=21, version=v))
            pub.expect("PUBREC", mid=21)
            pub.close()
            pub = client.connect(b, "rc-pub%d" % v, version=v, clean=False, **kw)
            assert pub.connack.session_present, pub.connack
            pub.send(P.publish("eo/rc", b"survivor", qos=2, mid=21, dup=True, version=v))
            pub.expect("PUBREC", mid=21)
            pub.send(P.pubrel(21, version=v))
            pub.expect("PUBCOMP", mid=21)
            sub.expect_publish("eo/rc", b"survivor", qos=2)
            sub.expect_none(0.4)
            pub.disconnect()


main()
