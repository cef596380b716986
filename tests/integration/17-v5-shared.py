#!/usr/bin/python3
"""17-v5-shared: shared subscriptions $share/GROUP/FILTER (5.0 section 4.8.2).

Each message goes to one member, round-robin over the connected members;
only when none is connected does it wait in an offline member's session.
A member that disconnects (or whose session ends) has its queued QoS 1/2
messages and its unacknowledged QoS 1 messages of that subscription passed
to a connected member ("It MAY attempt to send the message to another Client
as soon as it loses its connection to the first Client"); a QoS 2 message
already sent stays with its member [MQTT-4.8.2-4] [MQTT-4.8.2-5]; a message
the member refused (PUBACK >= 0x80) goes to nobody else [MQTT-4.8.2-6]; the
granted QoS of each member is respected [MQTT-4.8.2-3]. 3.1.1 clients may be
members too. Run with --threads 4 the members sit on different workers.

Peers: raw clients (exact flows), mosquitto_sub -V 5 and -V 311, paho v5,
MQTT.js 5 as members of one group."""
# timeout: 120

from lib import client, mqttjs, pahoclient, testing, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

KEEP = {"session_expiry_interval": 300}
HANDOFF = "mosquitto 2.0.11 keeps a disconnected member's messages in its session"


def member(b, cid, version=5, filt="$share/g/sh/#", qos=1, props=None, clean=True):
    c = client.connect(b, cid, version=version, clean=clean, props=props)
    c.subscribe(filt, qos=qos)
    return c


def publishes(packets):
    return [p for p in packets if p.name == "PUBLISH"]


@case(petrel_only="mosquitto 2.0.11 also gives messages to members whose client is offline")
def round_robin_over_connected_members_only():
    # A member whose client is offline gets nothing while others are
    # connected: the messages alternate between the two connected ones.
    with Broker() as b:
        away = member(b, "rr-away", props=KEEP, clean=False)
        away.disconnect()
        m1 = member(b, "rr-1")
        m2 = member(b, "rr-2")
        pub = client.connect(b, "rr-pub", version=5)
        for i in range(6):
            pub.publish("sh/t", b"%d" % i, qos=1)
        got = client.drain_all([m1, m2])
        a = [p.payload for p in publishes(got[m1])]
        c = [p.payload for p in publishes(got[m2])]
        assert len(a) == 3 and len(c) == 3, (a, c)
        assert sorted(a + c) == [b"%d" % i for i in range(6)], (a, c)
        away = client.connect(b, "rr-away", version=5, clean=False, props=KEEP)
        assert away.connack.session_present
        away.expect_none(0.5)  # nothing was parked on it
        for x in (away, m1, m2, pub):
            x.disconnect()


@case
def v311_and_v5_members_share_one_group():
    with Broker() as b:
        ms = [member(b, "mix-%d" % v, version=v) for v in (3, 4, 5)]
        pub = client.connect(b, "mix-pub", version=4)
        for i in range(9):
            pub.publish("sh/mix", b"%d" % i, qos=1)
        got = client.drain_all(ms)
        counts = [len(publishes(got[m])) for m in ms]
        assert counts == [3, 3, 3], counts
        assert sorted(p.payload for m in ms for p in publishes(got[m])) == \
            sorted(b"%d" % i for i in range(9))
        for x in ms + [pub]:
            x.disconnect()


@case
def granted_qos_of_each_member():
    # [MQTT-4.8.2-3]: the member's own granted QoS caps its copies.
    with Broker() as b:
        m0 = member(b, "gq-0", qos=0)
        m2 = member(b, "gq-2", qos=2)
        pub = client.connect(b, "gq-pub", version=5)
        for i in range(4):
            pub.publish("sh/q", b"%d" % i, qos=2)
        got = client.drain_all([m0, m2])
        assert {p.qos for p in publishes(got[m0])} == {0}, got[m0]
        assert {p.qos for p in publishes(got[m2])} == {2}, got[m2]
        for x in (m0, m2, pub):
            x.disconnect()


def fill_member_a(b, qos):
    """Members A (Receive Maximum 1, does not acknowledge) and B; six
    messages: A gets 0, 2, 4 (0 sent, 2 and 4 queued), B gets 1, 3, 5."""
    a = client.connect(b, "ho-a", version=5, clean=False,
                       props=dict(KEEP, receive_maximum=1))
    a.subscribe("$share/g/ho/#", qos=qos)
    bb = member(b, "ho-b", filt="$share/g/ho/#", qos=qos)
    pub = client.connect(b, "ho-pub", version=5)
    for i in range(6):
        pub.publish("ho/t", b"%d" % i, qos=qos)
    first = a.expect_publish("ho/t", b"0", qos=qos, ack=False)
    got = sorted(bb.expect_publish("ho/t", qos=qos).payload for _ in range(3))
    assert got == [b"1", b"3", b"5"], got
    testing.sleep(0.3)  # 2 and 4 are in A's queue (A's worker may be another)
    a.expect_none(0.1)
    return a, bb, pub, first


@case(petrel_only=HANDOFF)
def disconnected_member_hands_over_qos1():
    # A's unacknowledged QoS 1 message and its queued ones go to B when A
    # disconnects; A's session, when it comes back, has none of them.
    with Broker() as b:
        a, bb, pub, _ = fill_member_a(b, qos=1)
        a.close()
        got = sorted(bb.expect_publish("ho/t", qos=1).payload for _ in range(3))
        assert got == [b"0", b"2", b"4"], got
        bb.expect_none(0.3)
        a = client.connect(b, "ho-a", version=5, clean=False, props=KEEP)
        assert a.connack.session_present
        a.expect_none(0.5)
        for x in (a, bb, pub):
            x.disconnect()


@case(petrel_only=HANDOFF)
def sent_qos2_message_stays_with_its_member():
    # [MQTT-4.8.2-4]: a QoS 2 message already sent is completed with the
    # same member when it reconnects; never sent to another
    # [MQTT-4.8.2-5]. Its queued (never sent) QoS 2 messages may move.
    with Broker() as b:
        a, bb, pub, first = fill_member_a(b, qos=2)
        a.close()
        got = sorted(bb.expect_publish("ho/t", qos=2).payload for _ in range(2))
        assert got == [b"2", b"4"], got
        bb.expect_none(0.4)
        a = client.connect(b, "ho-a", version=5, clean=False, props=KEEP)
        p = a.expect_publish("ho/t", b"0", qos=2, dup=True)
        assert p.mid == first.mid, (p, first)
        a.expect_none(0.3)
        for x in (a, bb, pub):
            x.disconnect()


@case(petrel_only=HANDOFF)
def ending_session_hands_over():
    # A session that ends with its connection (no expiry) hands over too
    # (4.8.2: "If the Client's Session terminates before the Client
    # reconnects, the Server SHOULD send the Application Message to another
    # Client that is subscribed to the same Shared Subscription").
    with Broker() as b:
        a = client.connect(b, "end-a", version=4, clean=True)
        a.subscribe("$share/g/end/#", qos=1)
        bb = member(b, "end-b", version=4, filt="$share/g/end/#")
        pub = client.connect(b, "end-pub", version=4)
        for i in range(4):
            pub.publish("end/t", b"%d" % i, qos=1)
        mine = sorted(bb.expect_publish("end/t").payload for _ in range(2))
        theirs = [a.expect_publish("end/t", ack=False).payload for _ in range(2)]
        a.close()
        moved = sorted(bb.expect_publish("end/t").payload for _ in range(2))
        assert sorted(mine + moved) == [b"0", b"1", b"2", b"3"], (mine, moved)
        assert sorted(theirs) == moved, (theirs, moved)
        for x in (bb, pub):
            x.disconnect()


@case
def messages_wait_when_no_member_is_connected():
    # With every member offline the messages stay in the members' sessions
    # and arrive when they come back (round-robin between them).
    with Broker() as b:
        ms = []
        for cid in ("w-1", "w-2"):
            c = member(b, cid, props=KEEP, clean=False)
            c.disconnect()
            ms.append(cid)
        pub = client.connect(b, "w-pub", version=5)
        for i in range(4):
            pub.publish("sh/w", b"%d" % i, qos=1)
        testing.sleep(0.2)
        got = []
        for cid in ms:
            c = client.connect(b, cid, version=5, clean=False, props=KEEP)
            got += [p.payload for p in publishes(client.drain_all([c])[c])]
            c.disconnect()
        assert sorted(got) == [b"0", b"1", b"2", b"3"], got
        pub.disconnect()


@case
def refused_message_goes_to_nobody_else():
    # [MQTT-4.8.2-6]: PUBACK >= 0x80 from the member discards the message.
    with Broker() as b:
        a = member(b, "ref-a", filt="$share/g/ref/#")
        bb = member(b, "ref-b", filt="$share/g/ref/#")
        pub = client.connect(b, "ref-pub", version=5)
        pub.publish("ref/t", b"0", qos=1)
        pub.publish("ref/t", b"1", qos=1)
        p = a.expect_publish("ref/t", b"0", ack=False)
        a.send(P.puback(p.mid, rc=P.RC_UNSPECIFIED, version=5))
        bb.expect_publish("ref/t", b"1")
        a.close()
        bb.expect_none(0.5)
        for x in (bb, pub):
            x.disconnect()


@case
def third_party_members():
    # mosquitto_sub (5 and 3.1.1), paho 5 and MQTT.js 5 in one group: each
    # message reaches exactly one of them, and each gets its share.
    pahoclient.require()
    mqttjs.require()
    with Broker() as b:
        with tools.Sub(b, "$share/tp/tp/#", qos=1, version=5) as s5, \
                tools.Sub(b, "$share/tp/tp/#", qos=1, version=4) as s4, \
                pahoclient.Client(b, "tp-paho", version=5) as p, \
                mqttjs.Client(b, name="tp-js") as js:
            p.subscribe("$share/tp/tp/#", qos=1)
            js.connect(clientId="tp-js", protocolVersion=5)
            js.subscribe("$share/tp/tp/#", qos=1)
            pub = client.connect(b, "tp-pub", version=5)
            for i in range(8):
                pub.publish("tp/t", b"%d" % i, qos=1)
            got = [m.payload for m in s5.messages(2)] + [m.payload for m in s4.messages(2)]
            got += [m.payload for m in p.messages(2)]
            got += [m["payload"].encode() for m in js.messages(2)]
            assert sorted(got) == [b"%d" % i for i in range(8)], got
            for expect_none in (s5.expect_none, s4.expect_none, p.expect_none):
                expect_none(0.2)
            js.expect_none(duration=0.2)
            js.end()
            p.disconnect()
            pub.disconnect()


main()
