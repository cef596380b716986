#!/usr/bin/python3
"""17-v5-reasons: the reason codes of the publish path (5.0 tables 3-4 to
3-9), and what 3.1.1 gets instead.

PUBACK/PUBREC: 0x10 No matching subscribers, 0x87 Not authorized (ACL,
$SYS), 0x90 Topic Name invalid (over max_topic_length / max_topic_levels),
0x91 Packet Identifier in use (an id still awaiting PUBREL, section 4.3.3),
0x97 Quota exceeded (every matching session's queue is full), 0x99 Payload
format invalid (Payload Format Indicator 1, payload not UTF-8; on QoS 0 a
DISCONNECT 0x99). PUBREL/PUBCOMP: 0x92 Packet Identifier not found.
SUBACK: 0x8F Topic Filter invalid, 0x87; never 0x9E/0xA1/0xA2 (shared
subscriptions, Subscription Identifiers and wildcards are all supported).
UNSUBACK: 0x11 No subscription existed, 0x8F.

Peers: raw client (every code, exact packets), mosquitto_pub -d (prints the
reason code of each PUBACK), paho v5 (SUBACK/UNSUBACK reason codes), MQTT.js
5 (PUBACK reason codes and errors)."""
# timeout: 120

import re

from lib import client, env, mqttjs, pahoclient, testing, tools
from lib import packets as P
from lib.broker import Broker
from lib.passwords import password_file
from lib.testing import case, main

USERS = {"alice": "a", "admin": "x"}
ACL = """\
user alice
topic readwrite open/#
topic read ro/#

user admin
topic readwrite #
"""
AUTH_CONF = ["allow_anonymous false", "password_file {dir}/passwd", "acl_file {dir}/acl"]
AUTH_FILES = {"passwd": password_file(USERS), "acl": ACL}
PETREL_91 = "mosquitto 2.0.11 treats a reused packet identifier differently"


def v5(b, cid, **kw):
    return client.connect(b, cid, version=5, **kw)


def alice(b, cid, version=5):
    return client.connect(b, cid, version=version, username="alice", password="a")


# --- PUBACK / PUBREC ------------------------------------------------------------

@case
def no_matching_subscribers():
    # 0x10 is not a failure: a QoS 2 exchange goes on to PUBREL/PUBCOMP.
    # 3.1.1 has no reason codes: a plain 2-byte acknowledgement.
    with Broker() as b:
        c = v5(b, "rc-10")
        c.publish("nobody/here", b"x", qos=1, expect_rc=P.RC_NO_MATCHING_SUBSCRIBERS)
        # mosquitto 2.0.11 routes QoS 2 at PUBREL, so its PUBREC says 0x00.
        rc = 0 if env.is_mosquitto() else P.RC_NO_MATCHING_SUBSCRIBERS
        ack = c.publish("nobody/here", b"x", qos=2, expect_rc=rc)
        assert ack.name == "PUBCOMP" and ack.rc == 0, ack
        c.subscribe("nobody/#", qos=1)
        c.publish("nobody/here", b"x", qos=1, expect_rc=0)
        c.expect_publish("nobody/here", b"x")
        c.disconnect()
        c = client.connect(b, "rc-10-311", version=4)
        c.send(P.publish("nobody/here", b"x", qos=1, mid=3))
        ack = c.expect("PUBACK", mid=3)
        assert ack.raw == P.puback(3), ack
        c.disconnect()


@case
def not_authorized():
    # 0x87 for a topic the ACL does not let the user write, and for $SYS;
    # nothing is delivered. A PUBREC >= 0x80 ends the exchange: the id is
    # free at once [MQTT-4.3.3-9], so a PUBREL for it finds nothing (0x92).
    with Broker(conf=AUTH_CONF, files=AUTH_FILES) as b:
        w = client.connect(b, "rc-87-w", version=5, username="admin", password="x")
        w.subscribe("#", qos=2)
        a = alice(b, "rc-87")
        a.publish("ro/x", b"no", qos=1, expect_rc=P.RC_NOT_AUTHORIZED)
        a.send(P.publish("ro/x", b"no", qos=2, mid=9, version=5))
        a.expect("PUBREC", mid=9, rc=P.RC_NOT_AUTHORIZED)
        a.send(P.pubrel(9, version=5))
        ack = a.expect("PUBCOMP", mid=9)
        if not env.is_mosquitto():  # mosquitto 2.0.11 answers 0x00
            assert ack.rc == P.RC_PACKET_ID_NOT_FOUND, ack
        a.publish("open/x", b"yes", qos=1, expect_rc=0)
        w.expect_publish("open/x", b"yes")
        w.expect_none(0.3)
        a.disconnect()
        adm = client.connect(b, "rc-87-sys", version=5, username="admin", password="x")
        adm.publish("$SYS/broker/fake", b"no", qos=1, expect_rc=P.RC_NOT_AUTHORIZED)
        adm.disconnect()
        w.disconnect()


@case
def topic_name_invalid():
    # 0x90 for a topic over the configured length or depth.
    with Broker(conf=["max_topic_length 10", "max_topic_levels 3"]) as b:
        c = v5(b, "rc-90")
        c.subscribe("#", qos=1)
        c.publish("a" * 11, b"x", qos=1, expect_rc=P.RC_TOPIC_NAME_INVALID)
        c.publish("a/b/c/d", b"x", qos=2, expect_rc=P.RC_TOPIC_NAME_INVALID)
        c.publish("a/b/c", b"ok", qos=1, expect_rc=0)
        c.expect_publish("a/b/c", b"ok")
        c.expect_none(0.2)
        c.disconnect()


@case(petrel_only=PETREL_91)
def packet_identifier_in_use():
    # [MQTT-4.3.3-10]: until PUBREL, a PUBLISH with the id is acknowledged
    # with PUBREC and not delivered again: a DUP re-send gets 0x00; a new
    # PUBLISH (DUP 0) or a QoS 1 PUBLISH using the id gets 0x91 and is not
    # delivered. After that PUBREC >= 0x80 the id is a new message's
    # [MQTT-4.3.3-9].
    with Broker() as b:
        sub = v5(b, "rc-91-sub")
        sub.subscribe("pid/#", qos=2)
        c = v5(b, "rc-91")
        c.send(P.publish("pid/t", b"first", qos=2, mid=5, version=5))
        c.expect("PUBREC", mid=5, rc=0)
        sub.expect_publish("pid/t", b"first")
        c.send(P.publish("pid/t", b"first", qos=2, mid=5, dup=True, version=5))
        c.expect("PUBREC", mid=5, rc=0)
        c.send(P.publish("pid/t", b"reuse", qos=2, mid=5, version=5))
        c.expect("PUBREC", mid=5, rc=P.RC_PACKET_ID_IN_USE)
        sub.expect_none(0.3)
        c.send(P.publish("pid/t", b"new", qos=2, mid=5, version=5))
        c.expect("PUBREC", mid=5, rc=0)
        sub.expect_publish("pid/t", b"new")
        c.send(P.publish("pid/t", b"q1", qos=1, mid=5, version=5))
        c.expect("PUBACK", mid=5, rc=P.RC_PACKET_ID_IN_USE)
        sub.expect_none(0.3)
        c.send(P.pubrel(5, version=5))  # that exchange was ended by the 0x91
        c.expect("PUBCOMP", mid=5, rc=P.RC_PACKET_ID_NOT_FOUND)
        c.publish("pid/t", b"q1 again", qos=1, mid=5, expect_rc=0)
        sub.expect_publish("pid/t", b"q1 again")
        c.disconnect()
        sub.disconnect()


@case(petrel_only="Petrel takes a 3.1.1 QoS 2 PUBLISH that reuses an id as a new message")
def v311_reuse_is_a_new_message():
    # 3.1.1 has no 0x91: a QoS 2 PUBLISH with DUP 0 and an id awaiting
    # PUBREL is taken as new (publishers without a network loop reuse ids).
    with Broker() as b:
        sub = client.connect(b, "rc-91-311-sub", version=4)
        sub.subscribe("p311/#", qos=2)
        c = client.connect(b, "rc-91-311", version=4)
        for payload in (b"one", b"two"):
            c.send(P.publish("p311/t", payload, qos=2, mid=5))
            c.expect("PUBREC", mid=5)
            sub.expect_publish("p311/t", payload)
        c.disconnect()
        sub.disconnect()


@case(petrel_only="mosquitto 2.0.11 answers an unknown id with 0x00")
def packet_identifier_not_found():
    # 3.6.2.1 / 3.7.2.1: PUBREL for an unknown id gets PUBCOMP 0x92; a
    # PUBREC for an id the broker has not sent gets PUBREL 0x92.
    with Broker() as b:
        c = v5(b, "rc-92")
        c.send(P.pubrel(4242, version=5))
        c.expect("PUBCOMP", mid=4242, rc=P.RC_PACKET_ID_NOT_FOUND)
        c.send(P.pubrec(4343, version=5))
        c.expect("PUBREL", mid=4343, rc=P.RC_PACKET_ID_NOT_FOUND)
        c.disconnect()


@case(petrel_only="mosquitto 2.0.11 acknowledges with 0x00 when every queue is full")
def quota_exceeded_when_every_queue_is_full():
    # 0x97 when every subscription the message matched belongs to a session
    # whose queue (max_queued_messages) is full: nobody will get it. One
    # session with room is enough for 0x00.
    with Broker(conf=["max_queued_messages 1"]) as b:
        keep = {"clean": False, "props": {"session_expiry_interval": 300}}
        for cid in ("rc-97-a", "rc-97-b"):
            s = v5(b, cid, **keep)
            s.subscribe("quota/#", qos=1)
            s.disconnect()
            # Offline before anything is published, or "1" goes out live.
            b.wait_log(r"client disconnected: id=%s " % cid)
        pub = v5(b, "rc-97-pub")
        pub.publish("quota/t", b"1", qos=1, expect_rc=0)
        testing.sleep(0.2)  # both queues now hold one (their workers may be others)
        pub.publish("quota/t", b"2", qos=1, expect_rc=P.RC_QUOTA_EXCEEDED)
        pub.publish("quota/t", b"3", qos=2, expect_rc=P.RC_QUOTA_EXCEEDED)
        pub.publish("quota/t", b"4", qos=0)  # no acknowledgement to carry it
        # Let the QoS 0 copy reach the offline sessions (their workers may
        # be others) before a comes back, or it is delivered live.
        testing.sleep(0.2)
        a = v5(b, "rc-97-a", **keep)
        a.expect_publish("quota/t", b"1")
        a.expect_none(0.3)
        testing.sleep(0.2)  # a's queue is empty again: room for one more
        pub.publish("quota/t", b"5", qos=1, expect_rc=0)
        a.expect_publish("quota/t", b"5")
        for x in (a, pub):
            x.disconnect()


@case(petrel_only="the check is optional (MAY, 3.3.2.3.2); mosquitto 2.0.11 does not make it")
def payload_format_invalid():
    # 3.3.2.3.2: Payload Format Indicator 1 with a payload that is not
    # well-formed UTF-8: PUBACK/PUBREC 0x99, not delivered; QoS 0:
    # DISCONNECT 0x99. U+0000 is well-formed UTF-8 (the payload is not a
    # UTF-8 Encoded String); indicator 0 means any bytes.
    with Broker() as b:
        sub = v5(b, "rc-99-sub")
        sub.subscribe("pf/#", qos=1)
        c = v5(b, "rc-99")
        utf8 = {"payload_format_indicator": 1}
        c.publish("pf/t", b"\xff\xfe", qos=1, props=utf8, expect_rc=P.RC_PAYLOAD_FORMAT_INVALID)
        c.publish("pf/t", b"\xed\xa0\x80", qos=2, props=utf8,
                  expect_rc=P.RC_PAYLOAD_FORMAT_INVALID)
        sub.expect_none(0.3)
        c.publish("pf/t", "caf\u00e9 \x00 ok".encode(), qos=1, props=utf8, expect_rc=0)
        sub.expect_publish("pf/t", "caf\u00e9 \x00 ok".encode())
        c.publish("pf/t", b"\xff", qos=1, props={"payload_format_indicator": 0}, expect_rc=0)
        sub.expect_publish("pf/t", b"\xff")
        c.send(P.publish("pf/t", b"\xc0\x80", qos=0, props=utf8, version=5))
        got = c.expect_closed()
        assert [p.rc for p in got] == [P.RC_PAYLOAD_FORMAT_INVALID], got
        sub.expect_none(0.3)
        sub.disconnect()


# --- SUBACK / UNSUBACK -------------------------------------------------------------

@case(petrel_only="mosquitto 2.0.11 closes the connection for an invalid filter, and grants "
                  "filters the ACL does not let the client read")
def suback_reason_codes():
    # 0x8F for an invalid filter, 0x87 for a denied one; shared
    # subscriptions, wildcards and Subscription Identifiers are granted
    # (never 0x9E, 0xA2, 0xA1).
    with Broker(conf=AUTH_CONF, files=AUTH_FILES) as b:
        a = alice(b, "rc-suback")
        a.subscribe([("open/#/x", 1), ("secret/#", 1), ("open/#", 1), ("$share/g/open/+", 2),
                     ("ro/+/y", 0)], props={"subscription_identifier": 9},
                    expect_codes=[P.RC_TOPIC_FILTER_INVALID, P.RC_NOT_AUTHORIZED, 1, 2, 0])
        a.disconnect()


@case(petrel_only="mosquitto 2.0.11 closes the connection for an invalid filter")
def unsuback_reason_codes():
    # 0x00 removed, 0x11 there was none, 0x8F invalid; 3.1.1 UNSUBACK has no
    # payload.
    with Broker() as b:
        c = v5(b, "rc-unsuback")
        c.subscribe("u/a", qos=1)
        ack = c.unsubscribe(["u/a", "u/a", "u/#/bad", "$share/g/u/a"])
        assert ack.codes == [0, P.RC_NO_SUBSCRIPTION_EXISTED, P.RC_TOPIC_FILTER_INVALID,
                             P.RC_NO_SUBSCRIPTION_EXISTED], ack
        c.disconnect()
        c = client.connect(b, "rc-unsuback-311", version=4)
        c.subscribe("u/a", qos=1)
        ack = c.unsubscribe("u/a")
        assert ack.raw == P.unsuback(ack.mid), ack
        c.disconnect()


# --- third-party clients -------------------------------------------------------------

@case
def mosquitto_pub_sees_reason_codes():
    with Broker(conf=AUTH_CONF, files=AUTH_FILES) as b:
        creds = ["-u", "alice", "-P", "a", "-d"]
        r = tools.pub(b, "open/none", "x", qos=1, version=5, extra=creds)
        assert re.search(r"received PUBACK \(Mid: \d+, RC:16\)", r.stdout), r.stdout
        r = tools.pub(b, "ro/x", "x", qos=1, version=5, extra=creds, check=False)
        assert re.search(r"received PUBACK \(Mid: \d+, RC:135\)", r.stdout), r.stdout


@case
def paho_sees_suback_and_unsuback_codes():
    pahoclient.require()
    with Broker(conf=AUTH_CONF, files=AUTH_FILES) as b:
        with pahoclient.Client(b, "rc-paho", version=5, username="alice", password="a") as p:
            granted = p.subscribe("secret/#", qos=1)
            if not env.is_mosquitto():  # mosquitto 2.0.11 grants it and filters on delivery
                assert [g.value for g in granted] == [P.RC_NOT_AUTHORIZED], granted
            granted = p.subscribe("open/#", qos=1)
            assert [g.value for g in granted] == [1], granted
            codes = p.unsubscribe("ro/none")
            codes = codes if isinstance(codes, list) else [codes]
            assert [c.value for c in codes] == [P.RC_NO_SUBSCRIPTION_EXISTED], codes
            p.disconnect()


@case
def mqttjs_sees_puback_failures():
    # MQTT.js reports a PUBACK/PUBREC >= 0x80 as an error carrying the code
    # (it does not report codes below 0x80).
    mqttjs.require()
    with Broker(conf=AUTH_CONF + ["max_topic_levels 3"], files=AUTH_FILES) as b:
        with mqttjs.Client(b, name="rc-js") as js:
            js.connect(clientId="rc-js", protocolVersion=5, username="alice", password="a")
            e = js.publish("open/none", "x", qos=1)
            assert not e.get("error"), e
            for topic, qos, rc in (("ro/x", 1, P.RC_NOT_AUTHORIZED), ("ro/x", 2, P.RC_NOT_AUTHORIZED),
                                   ("open/a/b/c", 1, P.RC_TOPIC_NAME_INVALID)):
                e = js.publish(topic, "x", qos=qos, check=False)
                assert e.get("error") and e.get("reasonCode") == rc, (topic, qos, e)
            js.end()


main()
