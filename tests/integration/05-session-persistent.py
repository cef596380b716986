#!/usr/bin/python3
"""05-session-persistent: sessions that outlive the connection (3.1.1 clean
session 0, MQTT 5 Session Expiry Interval > 0) keep their subscriptions and
queue QoS 1/2 messages while the client is away.

3.1.1: [MQTT-3.1.2-4] resume the session; [MQTT-3.1.2-5] store QoS 1/2
messages for it while disconnected; [MQTT-3.1.2-6] clean session discards
it; [MQTT-3.2.2-1]/[MQTT-3.2.2-2] session present 0/1. MQTT 5 section
3.1.2.11.2: Session Expiry Interval 0 (the default) ends the session with the
connection; section 4.1: it is kept for the interval."""

from lib import client, pahoclient, testing, tools
from lib.broker import Broker
from lib.testing import case, main


def offline_round(b, v, cid, connect_kw):
    s = client.connect(b, cid, version=v, clean=False, **connect_kw)
    s.subscribe("ps/#", qos=2)
    s.disconnect()
    pub = client.connect(b, cid + "-pub", version=v)
    for i in range(5):
        pub.publish("ps/q%d" % (1 + i % 2), b"%d" % i, qos=1 + i % 2)
    pub.publish("ps/q0", b"zero", qos=0)  # may or may not be queued (3.1.1 4.1)
    s = client.connect(b, cid, version=v, clean=False, **connect_kw)
    assert s.connack.session_present is True, s.connack
    got = []
    for _ in range(6):
        p = s.try_recv(0.5)
        if p is None:
            break
        if p.name == "PUBLISH":
            s.ack(p)
            if p.qos:
                got.append((p.payload, p.qos))
    assert got == [(b"%d" % i, 1 + i % 2) for i in range(5)], got
    return s


@case
def v311_offline_queue_in_order():
    with Broker() as b:
        s = offline_round(b, 4, "ps-v4", {})
        # Still subscribed after the reconnect.
        pub = client.connect(b, "ps-v4-pub2")
        pub.publish("ps/live", b"live", qos=1)
        s.expect_publish("ps/live", b"live", qos=1)


@case
def v5_offline_queue_with_session_expiry():
    with Broker() as b:
        offline_round(b, 5, "ps-v5", {"props": {"session_expiry_interval": 300}})


@case
def session_present_flags():
    with Broker() as b:
        for v in (4, 5):
            kw = {"props": {"session_expiry_interval": 300}} if v == 5 else {}
            cid = "sp%d" % v
            c = client.connect(b, cid, version=v, clean=False, **kw)
            assert c.connack.session_present is False, c.connack  # nothing to resume
            c.disconnect()
            c = client.connect(b, cid, version=v, clean=False, **kw)
            assert c.connack.session_present is True, c.connack
            c.disconnect()
            c = client.connect(b, cid, version=v, clean=True, **kw)
            assert c.connack.session_present is False, c.connack  # [MQTT-3.2.2-1]
            c.disconnect()


@case
def clean_session_discards_subscriptions():
    with Broker() as b:
        for v in (4, 5):
            kw = {"props": {"session_expiry_interval": 300}} if v == 5 else {}
            cid = "cs%d" % v
            c = client.connect(b, cid, version=v, clean=False, **kw)
            c.subscribe("cs/t", qos=1)
            c.disconnect()
            c = client.connect(b, cid, version=v, clean=True)
            c.disconnect()
            c = client.connect(b, cid, version=v, clean=False, **kw)
            assert c.connack.session_present is False, c.connack
            pub = client.connect(b, "cs-pub%d" % v, version=v)
            pub.publish("cs/t", b"x", qos=1)
            c.expect_none(0.4)


@case
def v5_zero_expiry_ends_session_with_connection():
    with Broker() as b:
        c = client.connect(b, "ze", version=5, clean=False)  # no expiry property: 0
        c.subscribe("ze/t", qos=1)
        c.disconnect()
        c = client.connect(b, "ze", version=5, clean=False)
        assert c.connack.session_present is False, c.connack
        pub = client.connect(b, "ze-pub", version=5)
        pub.publish("ze/t", b"x", qos=1)
        c.expect_none(0.4)


@case
def v5_session_expires_after_interval():
    with Broker() as b:
        c = client.connect(b, "ex", version=5, clean=False,
                           props={"session_expiry_interval": 1})
        c.subscribe("ex/t", qos=1)
        c.disconnect()
        testing.sleep(2.5)
        c = client.connect(b, "ex", version=5, clean=False,
                           props={"session_expiry_interval": 1})
        assert c.connack.session_present is False, c.connack


@case
def mosquitto_sub_persistent_session():
    # mosquitto_sub -c (clean session off) with a fixed id: messages sent
    # while it is away arrive when it comes back.
    with Broker() as b:
        for v in (4, 5):
            cid = "msub-persist%d" % v
            extra = ["-c"] + (["-x", "300"] if v == 5 else [])
            with tools.Sub(b, "mp/t", qos=1, version=v, client_id=cid, extra=extra):
                pass
            for i in range(3):
                tools.pub(b, "mp/t", "m%d" % i, qos=1, version=v)
            with tools.Sub(b, "mp/t", qos=1, version=v, client_id=cid, extra=extra,
                           count=3, ready=False) as s:
                got = [m.payload for m in s.messages(3)]
                assert got == [b"m0", b"m1", b"m2"], got


@case
def paho_persistent_session():
    with Broker() as b:
        p = pahoclient.Client(b, "paho-persist", version=4, clean=False)
        with p:
            p.subscribe("pp/t", qos=2)
            p.disconnect()
        pub = client.connect(b, "pp-pub")
        pub.publish("pp/t", b"while away", qos=2)
        with pahoclient.Client(b, "paho-persist", version=4, clean=False) as p:
            m = p.message()
            assert (m.topic, m.payload, m.qos) == ("pp/t", b"while away", 2)
            p.disconnect()


main()
