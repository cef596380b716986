#!/usr/bin/python3
"""06-will-basic: the Will Message is published when the connection ends
without DISCONNECT (abrupt close, protocol error; keep-alive timeout is in
09-keepalive-*) and never after a normal DISCONNECT.

3.1.1: [MQTT-3.1.2-8] publish the will when the connection closes for any
reason but DISCONNECT; [MQTT-3.1.2-10] it is removed on DISCONNECT
[MQTT-3.14.4-3]; [MQTT-3.1.2-15]/[MQTT-3.1.2-17] will QoS and will retain.
MQTT 5 section 3.14.2.1: DISCONNECT with reason 0x04 sends the will."""

from lib import client, mqttjs, pahoclient
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


def watcher(b, v=4):
    w = client.connect(b, "will-watch%d" % v, version=v)
    w.subscribe("will/#", qos=2)
    return w


def with_will(b, v, cid, **kw):
    kw.setdefault("will_topic", "will/" + cid)
    kw.setdefault("will_payload", b"gone " + cid.encode())
    return client.connect(b, cid, version=v, **kw)


@case
def abrupt_close_publishes_will():
    with Broker() as b:
        w = watcher(b)
        for v in (3, 4, 5):
            c = with_will(b, v, "abrupt%d" % v, will_qos=1)
            c.close()
            w.expect_publish("will/abrupt%d" % v, b"gone abrupt%d" % v, qos=1, timeout=3)
            c = with_will(b, v, "reset%d" % v, will_qos=2)
            c.reset()
            w.expect_publish("will/reset%d" % v, b"gone reset%d" % v, qos=2, timeout=3)


@case
def disconnect_discards_will():
    with Broker() as b:
        w = watcher(b)
        for v in (3, 4, 5):
            c = with_will(b, v, "clean%d" % v, will_qos=1)
            c.disconnect()
        w.expect_none(0.8)


@case
def protocol_error_publishes_will():
    # A malformed packet closes the connection [MQTT-4.8.0-1]; that is not a
    # DISCONNECT, so the will goes out.
    with Broker() as b:
        w = watcher(b)
        for v in (4, 5):
            c = with_will(b, v, "perr%d" % v)
            c.send(P.publish("t", b"x", qos=3, mid=1, version=v))  # QoS 3 [MQTT-3.3.1-4]
            c.expect_closed()
            w.expect_publish("will/perr%d" % v, timeout=3)
            c = with_will(b, v, "perr-sub%d" % v)
            c.send(P.subscribe(1, "t", flags=0, version=v))  # bad flags [MQTT-3.8.1-1]
            c.expect_closed()
            w.expect_publish("will/perr-sub%d" % v, timeout=3)


@case(petrel_only="mosquitto 2.0.11 drops the will when it closes for a second CONNECT")
def second_connect_publishes_will():
    with Broker() as b:
        w = watcher(b)
        for v in (4, 5):
            c = with_will(b, v, "perr2-%d" % v)
            c.send(P.connect("again", version=v))  # second CONNECT [MQTT-3.1.0-2]
            c.expect_closed()
            w.expect_publish("will/perr2-%d" % v, timeout=3)


@case
def will_retain_flag():
    with Broker() as b:
        live = client.connect(b, "wr-live", version=4)
        live.subscribe("will/wr", qos=1)
        c = with_will(b, 4, "wr", will_qos=1, will_retain=True)
        c.close()
        # Once it has gone out live it is stored; only then subscribe (a
        # subscription that raced the close would get it live, retain 0).
        live.expect_publish("will/wr", b"gone wr", qos=1, retain=False, timeout=3)
        w = watcher(b)
        w.expect_publish("will/wr", b"gone wr", qos=1, retain=True, timeout=3)


@case
def v5_disconnect_with_will_message():
    with Broker() as b:
        w = watcher(b, 5)
        c = with_will(b, 5, "dww")
        c.disconnect(rc=P.RC_DISCONNECT_WITH_WILL)
        w.expect_publish("will/dww", b"gone dww", timeout=3)
        c = with_will(b, 5, "dnormal")
        c.disconnect(rc=0)
        w.expect_none(0.5)


@case
def takeover_publishes_old_will():
    # 3.1.1: the old connection is closed by the Server, not by DISCONNECT, so
    # its will is published [MQTT-3.1.2-8].
    with Broker() as b:
        w = watcher(b)
        with_will(b, 4, "tkw")
        c2 = client.connect(b, "tkw", version=4)
        w.expect_publish("will/tkw", b"gone tkw", timeout=3)
        c2.disconnect()


@case
def third_party_wills():
    with Broker() as b:
        w = watcher(b)
        mqttjs.require()
        for v in (4, 5):
            with mqttjs.Client(b) as js:
                js.connect(clientId="jsw%d" % v, protocolVersion=v,
                           will={"topic": "will/js%d" % v, "payload": "js died", "qos": 1})
                js.kill()
            w.expect_publish("will/js%d" % v, b"js died", qos=1, timeout=3)
            with mqttjs.Client(b) as js:
                js.connect(clientId="jsw-clean%d" % v, protocolVersion=v,
                           will={"topic": "will/never", "payload": "x", "qos": 1})
                js.end()
        for v in (4, 5):
            p = pahoclient.Client(b, "pw%d" % v, version=v,
                                  will={"topic": "will/paho%d" % v, "payload": b"paho", "qos": 2})
            with p:
                p.disconnect()
        w.expect_none(0.5)


main()
