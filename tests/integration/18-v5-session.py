#!/usr/bin/python3
"""18-v5-session: Clean Start, Session Present and Session Expiry Interval
(MQTT 5.0 sections 3.1.2.4, 3.1.2.11.2, 3.2.2.1.1, 3.14.2.2.2, 4.1), and
3.1.1's Clean Session, which maps onto them.

[MQTT-3.1.2-4] Clean Start 1 discards an existing session; [MQTT-3.1.2-5]
Clean Start 0 resumes one; [MQTT-3.1.2-6] or creates one. [MQTT-3.2.2-2]
Session Present 0 with Clean Start 1; [MQTT-3.2.2-3] 1 when a session was
resumed, else 0. [MQTT-3.1.2-23] the session outlives the connection when
the Session Expiry Interval is above 0; 0 or absent ends it with the
connection, 0xFFFFFFFF never expires it. [MQTT-4.1.0-2] it is discarded
once the interval has passed. DISCONNECT may change the interval, but not
from 0 to non-zero (section 3.14.2.2.2: a Protocol Error, 0x82)."""
# timeout: 120

from lib import client, env, mqttjs, pahoclient, testing, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

NEVER = 0xFFFFFFFF


def v5(b, cid, clean=True, expiry=None, **kw):
    props = dict(kw.pop("props", {}))
    if expiry is not None:
        props["session_expiry_interval"] = expiry
    return client.connect(b, cid, version=5, clean=clean, props=props, **kw)


def present(b, cid, expiry=None, version=5):
    """Connects with Clean Start 0 and returns Session Present; the session
    then lasts `expiry` more seconds (v5) after the DISCONNECT."""
    if version == 5:
        c = v5(b, cid, clean=False, expiry=expiry)
    else:
        c = client.connect(b, cid, version=version, clean=False)
    p = c.connack.session_present
    c.disconnect()
    return p


@case
def clean_start_and_session_present():
    with Broker() as b:
        c = v5(b, "cs1", clean=False, expiry=60)
        assert c.connack.session_present is False, c.connack  # [MQTT-3.1.2-6] [MQTT-3.2.2-3]
        c.subscribe("cs/t", qos=1)
        c.disconnect()
        c = v5(b, "cs1", clean=False, expiry=60)
        assert c.connack.session_present is True, c.connack  # [MQTT-3.1.2-5] [MQTT-3.2.2-3]
        pub = v5(b, "cs-pub")
        pub.publish("cs/t", b"kept", qos=1)
        c.expect_publish("cs/t", b"kept", qos=1)  # the subscription was resumed
        c.disconnect()
        c = v5(b, "cs1", clean=True, expiry=60)
        assert c.connack.session_present is False, c.connack  # [MQTT-3.1.2-4] [MQTT-3.2.2-2]
        pub.publish("cs/t", b"gone", qos=1)
        c.expect_none(0.3)  # the old subscription went with the old session
        c.disconnect()
        # A session started with Clean Start 1 still outlives the connection
        # when its expiry is above 0 [MQTT-3.1.2-23].
        assert present(b, "cs1", expiry=0) is True


@case
def expiry_zero_or_absent_ends_with_connection():
    with Broker() as b:
        for cid, expiry in (("ez-absent", None), ("ez-zero", 0)):
            c = v5(b, cid, clean=False, expiry=expiry)
            c.subscribe("ez/t", qos=1)
            c.disconnect()
            assert present(b, cid) is False, cid
        # An abrupt close ends it too.
        c = v5(b, "ez-abrupt", clean=False)
        c.close()
        testing.sleep(0.2)
        assert present(b, "ez-abrupt") is False


@case
def expiry_elapses():
    # [MQTT-4.1.0-2]: kept while the interval runs, discarded after it.
    with Broker() as b:
        for cid in ("ex-a", "ex-b"):
            c = v5(b, cid, clean=False, expiry=2)
            c.subscribe("ex/t", qos=1)
            c.close()
        testing.sleep(0.5)
        assert present(b, "ex-a", expiry=0) is True
        # Checking reconnects, which would restart the interval: one look,
        # after 2 s and the broker's once-a-second sweep.
        testing.sleep(3.5)
        if not env.is_mosquitto():
            b.wait_log(r"session expired: id=ex-b")
        assert present(b, "ex-b") is False


@case
def expiry_never():
    with Broker() as b:
        c = v5(b, "nv", clean=False, expiry=NEVER)
        # The broker uses the client's value, so CONNACK does not restate it
        # (3.2.2.3.2).
        assert "session_expiry_interval" not in c.connack.props, c.connack
        c.subscribe("nv/t", qos=1)
        c.close()
        testing.sleep(2.5)
        assert present(b, "nv", expiry=NEVER) is True


@case
def queued_messages_survive_while_offline():
    with Broker() as b:
        c = v5(b, "q1", clean=False, expiry=30)
        c.subscribe("q/t", qos=2)
        c.disconnect()
        pub = v5(b, "q-pub")
        for i in range(3):
            pub.publish("q/t", b"m%d" % i, qos=1 + i % 2)
        c = v5(b, "q1", clean=False, expiry=30)
        assert c.connack.session_present is True
        for i in range(3):
            c.expect_publish("q/t", b"m%d" % i, qos=1 + i % 2)
        c.disconnect()


@case
def disconnect_changes_expiry():
    with Broker() as b:
        # Longer at DISCONNECT: kept past the CONNECT's interval.
        c = v5(b, "dc-long", clean=False, expiry=1)
        c.disconnect(props={"session_expiry_interval": 60})
        # Shorter at DISCONNECT: 0 ends it now.
        c = v5(b, "dc-zero", clean=False, expiry=60)
        c.disconnect(props={"session_expiry_interval": 0})
        testing.sleep(2.5)
        assert present(b, "dc-long") is True
        assert present(b, "dc-zero") is False


@case
def disconnect_cannot_extend_a_zero_expiry():
    # Section 3.14.2.2.2: CONNECT had 0 and DISCONNECT sets non-zero: not a
    # valid DISCONNECT; the Server uses DISCONNECT 0x82. Not a normal
    # disconnection, so the will is published [MQTT-3.1.2-8], and the session
    # still ends with the connection.
    with Broker() as b:
        w = v5(b, "dz-watch")
        w.subscribe("dz/will", qos=1)
        c = v5(b, "dz", clean=False, will_topic="dz/will", will_payload=b"bye")
        c.send(P.disconnect(0, {"session_expiry_interval": 30}, version=5))
        seen = c.expect_closed()
        assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", P.RC_PROTOCOL_ERROR)], seen
        w.expect_publish("dz/will", b"bye")
        assert present(b, "dz") is False


@case
def takeover_and_session_expiry():
    # Section 3.1.4 (non-normative): with the old connection's Session Expiry
    # 0 the session ends on the takeover; otherwise Clean Start 0 continues it.
    with Broker() as b:
        old = v5(b, "tk0", clean=False, expiry=0)
        new = v5(b, "tk0", clean=False, expiry=60)
        assert new.connack.session_present is False, new.connack
        old.expect_closed()
        old = v5(b, "tk60", clean=False, expiry=60)
        new = v5(b, "tk60", clean=False, expiry=60)
        assert new.connack.session_present is True, new.connack
        old.expect_closed()
        new2 = v5(b, "tk60", clean=True)
        assert new2.connack.session_present is False, new2.connack
        new.expect_closed()


@case
def v311_clean_session_mapping():
    # 3.1.1 [MQTT-3.1.2-4]/[MQTT-3.1.2-6]: Clean Session 0 keeps the session
    # (no expiry), 1 discards it and it ends with the connection;
    # [MQTT-3.2.2-2] Session Present 1 only when it was resumed.
    with Broker() as b:
        for v in (3, 4):
            cid = "v3map%d" % v
            c = client.connect(b, cid, version=v, clean=False)
            assert c.connack.session_present is False
            c.subscribe("v3/t", qos=1)
            c.close()
            pub = client.connect(b, "v3pub%d" % v, version=v)
            pub.publish("v3/t", b"while away", qos=1)
            c = client.connect(b, cid, version=v, clean=False)
            # 3.1 has no Session Present flag: the byte is reserved and 0.
            assert c.connack.session_present is (v == 4), c.connack
            c.expect_publish("v3/t", b"while away", qos=1)
            c.disconnect()
            c = client.connect(b, cid, version=v, clean=True)
            assert c.connack.session_present is False
            c.disconnect()
            assert present(b, cid, version=v) is False


@case
def paho_v5_session():
    pahoclient.require()
    with Broker() as b:
        p = pahoclient.Client(b, "paho-sess", version=5, clean=False, session_expiry=60,
                              connect=False)
        flags, _ = p.connect()
        assert flags.get("session present") == 0, flags
        p.subscribe("ps/t", qos=1)
        p.disconnect()
        pub = v5(b, "ps-pub")
        pub.publish("ps/t", b"queued", qos=1)
        p = pahoclient.Client(b, "paho-sess", version=5, clean=False, session_expiry=60,
                              connect=False)
        flags, rc = p.connect()
        assert flags.get("session present") == 1, flags
        m = p.message()
        assert (m.topic, m.payload) == ("ps/t", b"queued")
        p.disconnect()
        p = pahoclient.Client(b, "paho-sess", version=5, clean=True, connect=False)
        flags, rc = p.connect()
        assert flags.get("session present") == 0, flags
        p.disconnect()


@case
def mosquitto_sub_v5_session():
    # -c keeps the session, -x sets its Session Expiry Interval.
    with Broker() as b:
        args = ["-c", "-x", "2"]
        with tools.Sub(b, "ms/t", qos=1, version=5, client_id="ms-sess", extra=args):
            pass
        pub = v5(b, "ms-pub")
        pub.publish("ms/t", b"queued", qos=1)
        with tools.Sub(b, "ms/t", qos=1, version=5, client_id="ms-sess", extra=args,
                       ready=False) as s:
            m = s.message()
            assert (m.topic, m.payload) == ("ms/t", b"queued"), m
            s.wait_debug("received CONNACK (0)")
        testing.sleep(3.5)  # past the 2 s expiry and the broker's 1 s sweep
        pub.publish("ms/t", b"after expiry", qos=1)
        with tools.Sub(b, "ms/t", qos=1, version=5, client_id="ms-sess", extra=args) as s:
            s.expect_none(0.5)


@case
def mqttjs_v5_session():
    mqttjs.require()
    with Broker() as b:
        opts = {"clientId": "js-sess", "protocolVersion": 5, "clean": False,
                "properties": {"sessionExpiryInterval": 60}}
        with mqttjs.Client(b) as js:
            e = js.connect(**opts)
            assert e["sessionPresent"] is False, e
            js.subscribe("js/t", qos=1)
            js.end()
        pub = v5(b, "js-pub")
        pub.publish("js/t", b"queued", qos=1)
        with mqttjs.Client(b) as js:
            e = js.connect(**opts)
            assert e["sessionPresent"] is True, e
            m = js.expect("message", topic="js/t")
            assert m["payload"] == "queued", m
            js.end()
        with mqttjs.Client(b) as js:
            e = js.connect(**dict(opts, clean=True))
            assert e["sessionPresent"] is False, e
            js.end()


main()
