#!/usr/bin/python3
"""16-interop-mqttjs: MQTT.js (npm `mqtt`) in 3.1.1 and 5 with Petrel:
publish and subscribe at QoS 0/1/2 both ways with paho and raw clients,
retained messages, wills, a persistent session that receives the QoS 1
messages queued while it was away, and v5 user properties and content type
passed through unchanged in both directions."""
# timeout: 180

from lib import client, env, mqttjs, pahoclient
from lib.broker import Broker
from lib.testing import case, main

VERSIONS = (4, 5)


def js_connect(b, client_id, version, **options):
    js = mqttjs.Client(b, name=client_id)
    try:
        js.connect(clientId=client_id, protocolVersion=version, **options)
    except BaseException:
        js.stop()
        raise
    return js


@case
def mqttjs_pubsub_every_qos_with_paho_and_raw():
    pahoclient.require()
    with Broker() as b:
        for v in VERSIONS:
            with js_connect(b, "js-sub-%d" % v, v) as js, \
                    pahoclient.Client(b, "paho-%d" % v, version=v) as p:
                js.subscribe("i/#", qos=2)
                p.subscribe("i/#", qos=2)
                raw = client.connect(b, "raw-%d" % v, version=v)
                for q in (0, 1, 2):
                    p.publish("i/paho/%d" % q, b"paho q%d" % q, qos=q)
                    raw.publish("i/raw/%d" % q, b"raw q%d" % q, qos=q)
                    js.publish("i/js/%d" % q, "js q%d" % q, qos=q)
                want = sorted(("i/%s/%d" % (who, q), "%s q%d" % (who, q), q)
                              for who in ("paho", "raw", "js") for q in (0, 1, 2))
                got = sorted((m["topic"], m["payload"], m["qos"]) for m in js.messages(9))
                assert got == want, got
                got = sorted((m.topic, m.payload.decode(), m.qos) for m in p.messages(9))
                assert got == want, got
                js.expect_none(duration=0.3)
                js.end()
                p.disconnect()
                raw.disconnect()


@case
def mqttjs_publishes_in_order_at_each_qos():
    # 50 is more than the in-flight window (20). mosquitto 2.0.11 stops
    # forwarding QoS 2 messages queued beyond its window (the rest wait for
    # unrelated traffic), so against it the count stays within the window.
    n = 20 if env.is_mosquitto() else 50
    with Broker() as b:
        for v in VERSIONS:
            raw = client.connect(b, "order-%d" % v, version=v)
            raw.subscribe("o/#", qos=2)
            with js_connect(b, "js-order-%d" % v, v) as js:
                for q in (1, 2):
                    js.publish_many("o/%d" % q, n, qos=q, prefix="m")
                    for i in range(n):
                        raw.expect_publish("o/%d" % q, "m%d" % i, qos=q)
                js.end()
            raw.disconnect()


@case
def mqttjs_retained_messages():
    with Broker() as b:
        for v in VERSIONS:
            topic = "r/%d" % v
            with js_connect(b, "js-ret-pub-%d" % v, v) as pub:
                pub.publish(topic, "kept", qos=1, retain=True)
                pub.end()
            with js_connect(b, "js-ret-sub-%d" % v, v) as sub:
                sub.subscribe("r/#", qos=1)
                m = sub.expect("message", topic=topic)
                assert (m["payload"], m["retain"], m["qos"]) == ("kept", True, 1), m
                # Live delivery of a retained publish to an existing
                # subscriber has retain 0 [MQTT-3.3.1-9] (v5: without
                # Retain As Published).
                raw = client.connect(b, "raw-ret-%d" % v, version=v)
                raw.publish(topic, b"second", qos=1, retain=True)
                m = sub.expect("message", topic=topic)
                assert (m["payload"], m["retain"]) == ("second", False), m
                # An empty retained payload clears it [MQTT-3.3.1-10].
                sub.publish(topic, "", qos=1, retain=True)
                sub.expect("message", topic=topic)
                sub.end()
                raw.disconnect()
            late = client.connect(b, "raw-late-%d" % v, version=v)
            late.subscribe(topic, qos=1)
            late.expect_none(0.3)
            late.disconnect()


@case
def mqttjs_will_on_abrupt_close():
    with Broker() as b:
        for v in VERSIONS:
            watch = client.connect(b, "will-watch-%d" % v, version=v)
            watch.subscribe("wills/#", qos=1)
            will = {"topic": "wills/js%d" % v, "payload": "js%d gone" % v, "qos": 1,
                    "retain": False}
            js = js_connect(b, "js-will-%d" % v, v, will=will, keepalive=60)
            js.subscribe("x", qos=0)  # connected and working
            js.kill()  # SIGKILL: no DISCONNECT
            js.stop()
            watch.expect_publish("wills/js%d" % v, "js%d gone" % v, qos=1)
            # A clean end does not publish the will [MQTT-3.14.4-3].
            js2 = js_connect(b, "js-will2-%d" % v, v, will=dict(will, payload="no"))
            js2.end()
            js2.stop()
            watch.expect_none(0.5)
            watch.disconnect()


@case
def mqttjs_persistent_session_gets_queued_qos1():
    with Broker() as b:
        for v in VERSIONS:
            cid = "js-persist-%d" % v
            opts = {"clean": False}
            if v == 5:
                opts["properties"] = {"sessionExpiryInterval": 300}
            with js_connect(b, cid, v, **opts) as js:
                js.subscribe("q/%d" % v, qos=1)
                js.end()
            pub = client.connect(b, "q-pub-%d" % v, version=v)
            for i in range(5):
                pub.publish("q/%d" % v, b"queued %d" % i, qos=1)
            pub.disconnect()
            js = mqttjs.Client(b, name=cid)
            with js:
                e = js.connect(clientId=cid, protocolVersion=v, **opts)
                assert e["sessionPresent"] is True, e
                got = [(m["payload"], m["qos"]) for m in js.messages(5)]
                assert got == [("queued %d" % i, 1) for i in range(5)], got
                js.expect_none(duration=0.3)
                js.end()


@case
def mqttjs_v5_properties_pass_through():
    props = {"userProperties": {"sensor": "t1", "unit": "°C"}, "contentType": "text/plain",
             "payloadFormatIndicator": True, "responseTopic": "replies/t1",
             "correlationData": "abc"}
    with Broker() as b:
        raw = client.connect(b, "props-raw", version=5)
        raw.subscribe("p/#", qos=1)
        with js_connect(b, "js-props-sub", 5) as sub, js_connect(b, "js-props-pub", 5) as pub:
            sub.subscribe("p/#", qos=1)
            pub.publish("p/js", "21.5", qos=1, properties=props)
            m = sub.expect("message", topic="p/js")
            got = m["properties"]
            assert got.get("userProperties") == {"sensor": "t1", "unit": "°C"}, got
            assert got.get("contentType") == "text/plain", got
            assert got.get("responseTopic") == "replies/t1", got
            assert got.get("payloadFormatIndicator") is True, got
            p = raw.expect_publish("p/js", b"21.5", qos=1)
            assert p.props.get("user_property") == [("sensor", "t1"), ("unit", "°C")], p.props
            assert p.props.get("content_type") == "text/plain", p.props
            assert p.props.get("correlation_data") == b"abc", p.props
            # The other way: raw v5 publisher -> MQTT.js, user property
            # order and repeats kept [MQTT-3.3.2-17], [MQTT-3.3.2-18].
            raw.publish("p/raw", b"x", qos=1, props={
                "user_property": [("k", "1"), ("k", "2"), ("a", "3")],
                "content_type": "application/json"})
            m = sub.expect("message", topic="p/raw")
            got = m["properties"]
            assert got.get("contentType") == "application/json", got
            assert got.get("userProperties") == {"k": ["1", "2"], "a": "3"}, got
            raw.expect_publish("p/raw", b"x", qos=1)
            sub.end()
            pub.end()
        raw.disconnect()


main()
