#!/usr/bin/python3
"""18-v5-will-delay: when an MQTT 5 Will Message is published.

[MQTT-3.1.2-8] after the connection closes without DISCONNECT 0x00, once
the Will Delay Interval has passed or the session has ended, whichever is
first; [MQTT-3.1.3-9] not at all when a new connection continues the session
before the delay is over. Section 3.1.3.2.2 and 3.1.4 (non-normative) spell
out the takeover: the old connection's will is sent unless the new one has
Clean Start 0 and the will a delay; with no delay it goes at the close, with
Clean Start 1 because the session ends. [MQTT-3.1.2-10] DISCONNECT 0x00
discards it; [MQTT-3.14.4-3]. 3.1.3.2: the will's properties go with it,
user properties in order [MQTT-3.1.3-10], its Message Expiry counted from
publication (3.1.3.2.4), and the Will Delay Interval itself is not
forwarded (it is not a PUBLISH property)."""
# timeout: 150

import signal
import time

from lib import client, env, mqttjs, pahoclient, procs, testing, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


def watcher(b, topic="will/#"):
    w = client.connect(b, "watch-" + testing.unique("w")[-20:], version=5)
    w.subscribe(topic, qos=1)
    return w


def with_will(b, cid, delay=None, expiry=None, clean=True, topic=None, payload=None,
              will_props=None, **kw):
    wp = dict(will_props or {})
    if delay is not None:
        wp["will_delay_interval"] = delay
    props = {}
    if expiry is not None:
        props["session_expiry_interval"] = expiry
    return client.connect(b, cid, version=5, clean=clean, props=props,
                          will_topic=topic or "will/" + cid,
                          will_payload=payload if payload is not None else b"gone " + cid.encode(),
                          will_qos=1, will_props=wp, **kw)


def quiet_for(w, seconds):
    """Nothing arrives for `seconds` (exact: a delay must not be cut short)."""
    p = w.try_recv(seconds, exact=True)
    assert p is None, "expected nothing yet, got %r" % (p,)


def expect_will(w, cid, timeout=3):
    return w.expect_publish("will/" + cid, b"gone " + cid.encode(), timeout=timeout)


@case
def published_after_the_delay():
    with Broker() as b:
        w = watcher(b)
        c = with_will(b, "wd2", delay=2, expiry=60)
        t0 = time.monotonic()
        c.close()
        quiet_for(w, 1.6)
        expect_will(w, "wd2", timeout=3)
        assert time.monotonic() - t0 >= 1.9, time.monotonic() - t0


@case
def reconnect_within_the_delay_cancels_it():
    # [MQTT-3.1.3-9]
    with Broker() as b:
        w = watcher(b)
        c = with_will(b, "wdc", delay=2, expiry=60)
        c.close()
        testing.sleep(0.3)
        c = client.connect(b, "wdc", version=5, clean=False,
                           props={"session_expiry_interval": 60})
        assert c.connack.session_present is True
        w.expect_none(3)
        c.disconnect()
        w.expect_none(0.3)


@case(petrel_only="mosquitto 2.0.11 keeps waiting out the delay after the session ended")
def reconnect_with_clean_start_publishes_it():
    # Clean Start 1 ends the session, and with it the delay.
    with Broker() as b:
        w = watcher(b)
        c = with_will(b, "wdcs", delay=30, expiry=60)
        c.close()
        testing.sleep(0.3)
        t0 = time.monotonic()
        c = client.connect(b, "wdcs", version=5, clean=True)
        assert c.connack.session_present is False
        expect_will(w, "wdcs", timeout=2)
        assert time.monotonic() - t0 < env.scaled(1.5)
        c.disconnect()


@case
def session_end_comes_first():
    # Session Expiry 1 < Will Delay 30: the will goes when the session ends.
    with Broker() as b:
        w = watcher(b)
        c = with_will(b, "wdse", delay=30, expiry=1)
        t0 = time.monotonic()
        c.close()
        quiet_for(w, 0.7)
        expect_will(w, "wdse", timeout=3)
        assert time.monotonic() - t0 < env.scaled(2.5)


@case(petrel_only="mosquitto 2.0.11 waits out the delay though the session ended at the close")
def session_expiry_zero_means_at_once():
    with Broker() as b:
        w = watcher(b)
        c = with_will(b, "wdz", delay=30, expiry=0)
        c.close()
        expect_will(w, "wdz", timeout=1)


@case(petrel_only="mosquitto 2.0.11 does not publish a taken-over connection's will (no delay) "
                   "when the session continues")
def takeover():
    with Broker() as b:
        w = watcher(b)
        # No delay: sent as the old connection is closed.
        old = with_will(b, "tk-nodelay", expiry=60)
        new = client.connect(b, "tk-nodelay", version=5, clean=False,
                             props={"session_expiry_interval": 60})
        expect_will(w, "tk-nodelay", timeout=2)
        old.expect_closed()
        # A delay and Clean Start 0: the session continues, no will.
        old = with_will(b, "tk-cont", delay=5, expiry=60)
        new = client.connect(b, "tk-cont", version=5, clean=False,
                             props={"session_expiry_interval": 60})
        assert new.connack.session_present is True
        seen = old.expect_closed()
        assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", P.RC_SESSION_TAKEN_OVER)], seen
        w.expect_none(1)
        # A delay and Clean Start 1: the session ends, the will goes.
        old = with_will(b, "tk-clean", delay=5, expiry=60)
        new = client.connect(b, "tk-clean", version=5, clean=True)
        expect_will(w, "tk-clean", timeout=2)
        # A delay but the old session ended with the old connection (expiry 0).
        old = with_will(b, "tk-noexp", delay=5, expiry=0)
        new = client.connect(b, "tk-noexp", version=5, clean=False,
                             props={"session_expiry_interval": 60})
        assert new.connack.session_present is False
        expect_will(w, "tk-noexp", timeout=2)
        new.disconnect()


@case
def disconnect_reason_codes():
    with Broker() as b:
        w = watcher(b)
        # 0x04 Disconnect with Will Message: published, after the delay.
        c = with_will(b, "dw4", delay=1, expiry=60)
        t0 = time.monotonic()
        c.disconnect(rc=P.RC_DISCONNECT_WITH_WILL)
        expect_will(w, "dw4", timeout=3)
        assert time.monotonic() - t0 >= 0.9
        # 0x00: discarded [MQTT-3.1.2-10] [MQTT-3.14.4-3].
        c = with_will(b, "dw0", delay=1, expiry=60)
        c.disconnect(rc=0)
        w.expect_none(1.5)


@case(petrel_only="mosquitto 2.0.11 discards the will on a DISCONNECT with any reason code")
def disconnect_with_an_error_code_publishes_it():
    # Only 0x00 is a normal disconnection [MQTT-3.1.2-8] (section 3.14).
    with Broker() as b:
        w = watcher(b)
        c = with_will(b, "dw80", expiry=60)
        c.disconnect(rc=P.RC_UNSPECIFIED)
        expect_will(w, "dw80", timeout=2)


@case
def properties_pass_through():
    with Broker() as b:
        w = watcher(b)
        wp = {"payload_format_indicator": 1, "message_expiry_interval": 60,
              "content_type": "text/plain", "response_topic": "reply/wp",
              "correlation_data": b"\x00corr", "user_property": [("b", "2"), ("a", "1"),
                                                                 ("b", "3")]}
        c = with_will(b, "wp", delay=2, expiry=60, payload=b"caf\xc3\xa9", will_props=wp,
                      will_retain=True)
        c.close()
        m = w.expect_publish("will/wp", b"caf\xc3\xa9", timeout=4)
        got = dict(m.props)
        # Counted from publication, after the 2 s delay (3.1.3.2.4).
        assert got.pop("message_expiry_interval") >= 59, m
        assert "will_delay_interval" not in got, m
        want = dict(wp)
        del want["message_expiry_interval"]
        assert got == want, (got, want)  # user properties in order [MQTT-3.1.3-10]
        # Retained with its properties [MQTT-3.1.2-15].
        late = client.connect(b, "wp-late", version=5)
        late.subscribe("will/wp", qos=1)
        r = late.expect_publish("will/wp", retain=True)
        assert r.props.get("content_type") == "text/plain", r


@case
def paho_will_delay():
    pahoclient.require()
    with Broker() as b:
        w = watcher(b)
        p = pahoclient.Client(b, "paho-wd", version=5, session_expiry=60,
                              will={"topic": "will/paho-wd", "payload": b"gone paho-wd", "qos": 1},
                              will_props={"WillDelayInterval": 1, "ContentType": "text/plain"})
        p.close()  # no DISCONNECT
        quiet_for(w, 0.6)
        m = expect_will(w, "paho-wd")
        assert m.props.get("content_type") == "text/plain", m


@case
def mosquitto_sub_will_delay():
    with Broker() as b:
        w = watcher(b)
        extra = ["-x", "60", "--will-topic", "will/ms-wd", "--will-payload", "gone ms-wd",
                 "--will-qos", "1", "-D", "will", "will-delay-interval", "1",
                 "-D", "will", "user-property", "k", "v"]
        s = tools.Sub(b, "ms/none", version=5, client_id="ms-wd", extra=extra)
        with s:
            procs.stop(s.proc, sig=signal.SIGKILL)  # no DISCONNECT
            quiet_for(w, 0.6)
            m = expect_will(w, "ms-wd")
            assert m.props.get("user_property") == [("k", "v")], m


@case
def mqttjs_will_delay():
    mqttjs.require()
    with Broker() as b:
        w = watcher(b)
        with mqttjs.Client(b) as js:
            js.connect(clientId="js-wd", protocolVersion=5,
                       properties={"sessionExpiryInterval": 60},
                       will={"topic": "will/js-wd", "payload": "gone js-wd", "qos": 1,
                             "properties": {"willDelayInterval": 1, "contentType": "text/x",
                                            "userProperties": {"k": "v"}}})
            js.kill()
            quiet_for(w, 0.6)
            m = expect_will(w, "js-wd")
            assert m.props.get("content_type") == "text/x", m
            assert m.props.get("user_property") == [("k", "v")], m


main()
