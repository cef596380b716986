#!/usr/bin/python3
"""17-v5-flow: flow control and packet size limits, both directions.

Receive Maximum (5.0 sections 3.3.4, 4.9): the broker never has more QoS 1/2
PUBLISHes unacknowledged at a client than its Receive Maximum (or
max_inflight_messages) [MQTT-3.3.4-9], holds back nothing else
[MQTT-3.3.4-10], and starts each connection with a fresh quota (PUBRELs
re-sent after a reconnect take none). The broker announces receive_maximum
in CONNACK and disconnects a client that goes over it with 0x93
[MQTT-3.3.4-7]; the count is per connection and 3.1.1 clients have none.

Maximum Packet Size: a PUBLISH larger than the client's maximum is not sent
to it [MQTT-3.1.2-24], counted as dropped in $SYS, and treated as delivered
[MQTT-3.1.2-25]; a packet larger than max_packet_size from a client is
DISCONNECT 0x95.

Peers: raw client (exact windows), mosquitto_sub (-D connect
receive-maximum / maximum-packet-size), mosquitto_pub, paho v5, MQTT.js 5."""
# timeout: 120

from lib import client, env, mqttjs, pahoclient, testing, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

KEEP = {"session_expiry_interval": 300}
OVER_RM = "mosquitto 2.0.11 sends more than the client's Receive Maximum after the first PUBACK"
STUCK = ("mosquitto 2.0.11 keeps a dropped oversize message's place in the client's Receive "
         "Maximum, so nothing follows it")


def v5(b, cid, **kw):
    return client.connect(b, cid, version=5, **kw)


# --- broker to client: the client's Receive Maximum --------------------------

@case(petrel_only=OVER_RM)
def never_more_unacknowledged_than_receive_maximum():
    # [MQTT-3.3.4-9]: with Receive Maximum 2 at most two QoS 1 PUBLISHes are
    # unacknowledged; each PUBACK lets one more go.
    with Broker() as b:
        c = v5(b, "rm-2", props={"receive_maximum": 2})
        c.subscribe("rm/#", qos=1)
        pub = v5(b, "rm-pub")
        for i in range(5):
            pub.publish("rm/t", b"%d" % i, qos=1)
        first = [c.expect_publish("rm/t", b"%d" % i, ack=False) for i in range(2)]
        c.expect_none(0.4)
        c.send(P.puback(first[0].mid, version=5))
        third = c.expect_publish("rm/t", b"2", ack=False)
        c.expect_none(0.3)
        c.send(P.puback(first[1].mid, version=5), P.puback(third.mid, version=5))
        c.expect_publish("rm/t", b"3")
        c.expect_publish("rm/t", b"4")
        c.expect_none(0.2)
        c.disconnect()
        pub.disconnect()


@case
def qos2_quota_returns_at_pubcomp_or_failed_pubrec():
    # 4.9: the quota comes back with PUBCOMP, or with a PUBREC >= 0x80 (which
    # ends the exchange: no PUBREL [MQTT-4.3.3-4]); a plain PUBREC does not.
    with Broker() as b:
        c = v5(b, "rm-q2", props={"receive_maximum": 1})
        c.subscribe("rq/#", qos=2)
        pub = v5(b, "rm-q2-pub")
        for i in range(3):
            pub.publish("rq/t", b"%d" % i, qos=2)
        p = c.expect_publish("rq/t", b"0", qos=2, ack=False)
        c.send(P.pubrec(p.mid, version=5))
        c.expect("PUBREL", mid=p.mid)
        c.expect_none(0.3)  # still one unacknowledged (awaiting PUBCOMP)
        c.send(P.pubcomp(p.mid, version=5))
        p = c.expect_publish("rq/t", b"1", qos=2, ack=False)
        c.send(P.pubrec(p.mid, rc=P.RC_UNSPECIFIED, version=5))
        p = c.expect_publish("rq/t", b"2", qos=2)  # no PUBREL for 1 came first
        c.expect_none(0.2)
        c.disconnect()
        pub.disconnect()


@case
def other_packets_are_not_held_back():
    # [MQTT-3.3.4-10]: with the quota used up, PINGRESP, SUBACK and QoS 0
    # PUBLISHes still flow.
    with Broker() as b:
        c = v5(b, "rm-other", props={"receive_maximum": 1})
        c.subscribe("ro/#", qos=1)
        pub = v5(b, "rm-other-pub")
        pub.publish("ro/t", b"held", qos=1)
        pub.publish("ro/t", b"waits", qos=1)
        held = c.expect_publish("ro/t", b"held", ack=False)
        c.ping()
        c.subscribe("ro2/#", qos=0)
        pub.publish("ro2/t", b"q0", qos=0)
        c.expect_publish("ro2/t", b"q0", qos=0)
        c.send(P.puback(held.mid, version=5))
        c.expect_publish("ro/t", b"waits")
        c.disconnect()
        pub.disconnect()


@case(petrel_only="mosquitto 2.0.11 lets a v5 client's Receive Maximum override "
                  "max_inflight_messages")
def max_inflight_messages_caps_a_larger_receive_maximum():
    with Broker(conf=["max_inflight_messages 1"]) as b:
        c = v5(b, "rm-cap", props={"receive_maximum": 10})
        c.subscribe("rc/#", qos=1)
        pub = v5(b, "rm-cap-pub")
        for i in range(2):
            pub.publish("rc/t", b"%d" % i, qos=1)
        p = c.expect_publish("rc/t", b"0", ack=False)
        c.expect_none(0.3)
        c.send(P.puback(p.mid, version=5))
        c.expect_publish("rc/t", b"1")
        c.disconnect()
        pub.disconnect()


@case(petrel_only=OVER_RM)
def reconnect_resends_within_the_new_receive_maximum():
    # 4.9: the quota starts afresh with each connection; re-sent PUBLISHes
    # (DUP, original order [MQTT-4.4.0-1]) take from it, re-sent PUBRELs do
    # not [MQTT-3.3.4-10].
    with Broker() as b:
        c = v5(b, "rm-re", clean=False, props=dict(KEEP, receive_maximum=3))
        c.subscribe("rr/#", qos=2)
        pub = v5(b, "rm-re-pub")
        pub.publish("rr/t", b"q2", qos=2)
        for i in range(4):
            pub.publish("rr/t", b"%d" % i, qos=1)
        q2 = c.expect_publish("rr/t", b"q2", qos=2, ack=False)
        sent = [c.expect_publish("rr/t", b"%d" % i, ack=False) for i in range(2)]
        c.send(P.pubrec(q2.mid, version=5))
        c.expect("PUBREL", mid=q2.mid)
        c.expect_none(0.3)
        c.close()
        c = v5(b, "rm-re", clean=False, props=dict(KEEP, receive_maximum=1))
        c.expect("PUBREL", mid=q2.mid)
        p = c.expect_publish("rr/t", b"0", dup=True, ack=False)
        assert p.mid == sent[0].mid, (p, sent)
        c.expect_none(0.3)  # Receive Maximum 1: one PUBLISH at a time
        c.send(P.pubcomp(q2.mid, version=5))
        c.expect_none(0.3)  # the PUBCOMP gives back nothing beyond the start value
        c.send(P.puback(p.mid, version=5))
        p = c.expect_publish("rr/t", b"1", dup=True)
        assert p.mid == sent[1].mid, (p, sent)
        for i in (2, 3):
            c.expect_publish("rr/t", b"%d" % i, dup=False)
        c.expect_none(0.2)
        c.disconnect()
        pub.disconnect()


# --- client to broker: our receive_maximum -----------------------------------

@case(petrel_only="receive_maximum is Petrel's key")
def receive_maximum_announced_and_enforced():
    # CONNACK carries Receive Maximum when below 65535 (3.2.2.3.3); one
    # more unacknowledged QoS 2 PUBLISH than that is 0x93 [MQTT-3.3.4-7].
    with Broker() as b:
        c = v5(b, "rx-default")
        assert "receive_maximum" not in c.connack.props, c.connack  # 65535
        c.disconnect()
    with Broker(conf=["receive_maximum 3"]) as b:
        c = v5(b, "rx-3")
        assert c.connack.props.get("receive_maximum") == 3, c.connack
        for mid in (1, 2, 3):
            c.send(P.publish("rx/t", b"x", qos=2, mid=mid, version=5))
            c.expect("PUBREC", mid=mid)
        c.send(P.pubrel(1, version=5))  # PUBCOMP sent: one free again
        c.expect("PUBCOMP", mid=1)
        c.publish("rx/q1", b"acked at once", qos=1)  # the 3rd, and PUBACK frees it
        c.send(P.publish("rx/t", b"x", qos=2, mid=4, version=5))
        c.expect("PUBREC", mid=4)
        c.send(P.publish("rx/t", b"x", qos=2, mid=5, version=5))  # the 4th
        got = c.expect_closed()
        assert [p.rc for p in got] == [P.RC_RECEIVE_MAX_EXCEEDED], got


@case(petrel_only="receive_maximum is Petrel's key")
def receive_maximum_counts_per_connection():
    # 4.9: not preserved across connections. QoS 2 exchanges left open by an
    # earlier connection do not count against the new one until re-sent;
    # 3.1.1 clients are not limited (they have no Receive Maximum).
    with Broker(conf=["receive_maximum 2"]) as b:
        c = v5(b, "rx-conn", clean=False, props=KEEP)
        for mid in (1, 2):
            c.send(P.publish("rx/t", b"x", qos=2, mid=mid, version=5))
            c.expect("PUBREC", mid=mid)
        c.close()
        c = v5(b, "rx-conn", clean=False, props=KEEP)
        for mid in (3, 4):
            c.send(P.publish("rx/t", b"x", qos=2, mid=mid, version=5))
            c.expect("PUBREC", mid=mid)
        c.send(P.publish("rx/t", b"x", qos=2, mid=1, dup=True, version=5))  # re-sent: counts
        got = c.expect_closed()
        assert [p.rc for p in got] == [P.RC_RECEIVE_MAX_EXCEEDED], got
        c = client.connect(b, "rx-311", version=4)
        for mid in range(1, 6):
            c.send(P.publish("rx/t", b"x", qos=2, mid=mid))
            c.expect("PUBREC", mid=mid)
        c.disconnect()


@case(petrel_only="receive_maximum is Petrel's key")
def clients_keep_to_our_receive_maximum():
    # mosquitto_pub, paho and MQTT.js read Receive Maximum 1 from CONNACK and
    # still get many QoS 2 messages through. (MQTT.js 5 does not keep to a
    # server's Receive Maximum when it pipelines: its publishes go one at a
    # time here.)
    pahoclient.require()
    mqttjs.require()
    with Broker(conf=["receive_maximum 1"]) as b:
        sub = v5(b, "rx-tp-sub")
        sub.subscribe("rxt/#", qos=2)
        tools.pub(b, "rxt/mp", "m", qos=2, version=5, extra=["--repeat", "5"])
        with pahoclient.Client(b, "rx-paho", version=5) as p:
            for i in range(5):
                p.publish("rxt/paho", b"p%d" % i, qos=2)
            p.disconnect()
        with mqttjs.Client(b, name="rx-js") as js:
            js.connect(clientId="rx-js", protocolVersion=5)
            for i in range(5):
                js.publish("rxt/js", "j%d" % i, qos=2)
            js.end()
        got = [sub.expect_publish(qos=2) for _ in range(15)]
        assert sorted(p.topic for p in got) == ["rxt/js"] * 5 + ["rxt/mp"] * 5 + ["rxt/paho"] * 5
        sub.disconnect()


# --- Maximum Packet Size --------------------------------------------------------

@case(petrel_only=STUCK)
def too_large_for_the_client_is_dropped_as_delivered():
    # [MQTT-3.1.2-24] not sent to the client whose maximum it exceeds;
    # [MQTT-3.1.2-25] and then treated as delivered: with Receive Maximum 1
    # the next message still flows. Other subscribers get it.
    with Broker() as b:
        small = v5(b, "mps-small", props={"maximum_packet_size": 100, "receive_maximum": 1})
        small.subscribe("mps/#", qos=1)
        big = v5(b, "mps-big")
        big.subscribe("mps/#", qos=1)
        pub = v5(b, "mps-pub")
        pub.publish("mps/t", b"B" * 200, qos=1)
        pub.publish("mps/t", b"small", qos=1)
        big.expect_publish("mps/t", b"B" * 200)
        big.expect_publish("mps/t", b"small")
        small.expect_publish("mps/t", b"small")
        small.expect_none(0.3)
        for c in (small, big, pub):
            c.disconnect()


@case(petrel_only="mosquitto 2.0.11 does not count these drops in $SYS")
def dropped_for_size_counted_in_sys():
    with Broker(conf=["sys_interval 1"]) as b:
        watch = client.connect(b, "mps-sys", version=4)
        watch.subscribe("$SYS/broker/publish/messages/dropped", qos=0)
        before = int(watch.expect_publish(retain=True).payload)
        small = v5(b, "mps-sys-small", props={"maximum_packet_size": 64})
        small.subscribe("mpsys/#", qos=0)
        small.publish("mpsys/t", b"x" * 100, qos=0)
        small.expect_none(0.3)

        def dropped():
            p = watch.try_recv(1.5)
            return p is not None and int(p.payload) >= before + 1
        testing.wait_until(dropped, timeout=5, what="$SYS dropped count to grow")
        small.disconnect()
        watch.disconnect()


@case
def too_large_from_the_client_is_packet_too_large():
    # max_packet_size is announced as Maximum Packet Size [MQTT-3.2.2-15];
    # a larger packet is DISCONNECT 0x95 (4.13).
    with Broker(conf=["max_packet_size 1000"]) as b:
        c = v5(b, "mps-in")
        assert c.connack.props.get("maximum_packet_size") == 1000, c.connack
        c.publish("mpi/t", b"x" * 900, qos=1)
        c.send(P.publish("mpi/t", b"x" * 2000, qos=1, mid=7, version=5))
        got = c.expect_closed()
        if not env.is_mosquitto():
            assert [p.rc for p in got] == [P.RC_PACKET_TOO_LARGE], got


@case(petrel_only=STUCK)
def third_party_limits_are_respected():
    # mosquitto_sub (-D connect maximum-packet-size), MQTT.js
    # (maximumPacketSize, receiveMaximum) and paho (MaximumPacketSize) get
    # only what fits.
    pahoclient.require()
    mqttjs.require()
    with Broker() as b:
        with tools.Sub(b, "tpl/#", qos=1, version=5,
                       extra=["-D", "connect", "maximum-packet-size", "120",
                              "-D", "connect", "receive-maximum", "1"]) as s, \
                pahoclient.Client(b, "tpl-paho", version=5,
                                  properties={"MaximumPacketSize": 120}) as p, \
                mqttjs.Client(b, name="tpl-js") as js:
            p.subscribe("tpl/#", qos=1)
            js.connect(clientId="tpl-js", protocolVersion=5,
                       properties={"maximumPacketSize": 120, "receiveMaximum": 1})
            js.subscribe("tpl/#", qos=1)
            pub = v5(b, "tpl-pub")
            pub.publish("tpl/t", b"L" * 300, qos=1)
            for i in range(3):
                pub.publish("tpl/t", b"s%d" % i, qos=1)
            assert [m.payload for m in s.messages(3)] == [b"s0", b"s1", b"s2"]
            assert [m.payload for m in p.messages(3)] == [b"s0", b"s1", b"s2"]
            assert [m["payload"] for m in js.messages(3)] == ["s0", "s1", "s2"]
            s.expect_none(0.2)
            js.end()
            p.disconnect()
            pub.disconnect()


main()
