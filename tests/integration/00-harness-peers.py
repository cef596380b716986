#!/usr/bin/python3
"""00-harness-peers: every third-party peer the suite uses works end to end
(mosquitto_pub/sub, MQTT.js, paho) in 3.1.1 and 5, so a broken environment
shows up here first rather than as odd failures elsewhere."""

from lib import client, mqttjs, pahoclient, tools
from lib.broker import Broker
from lib.testing import case, main


@case
def mosquitto_clients():
    with Broker() as b:
        for v in (4, 5):
            with tools.Sub(b, "h/#", qos=2, version=v) as s:
                tools.pub(b, "h/a", "hello", qos=2, version=v)
                tools.pub(b, "h/b", b"\x00\x01bin", qos=1, version=v)
                got = sorted(s.messages(2))
                assert got == [tools.Message("h/a", b"hello", 2, False),
                               tools.Message("h/b", b"\x00\x01bin", 1, False)], got


@case
def mqttjs_and_paho():
    with Broker() as b:
        for v in (4, 5):
            with mqttjs.Client(b) as js, pahoclient.Client(b, "p%d" % v, version=v) as p:
                js.connect(clientId="js%d" % v, protocolVersion=v)
                js.subscribe("h/#", qos=2)
                p.subscribe("h/#", qos=2)
                p.publish("h/p", b"from paho", qos=2)
                js.publish("h/j", "from js", qos=1)
                got = sorted((m.topic, m.payload, m.qos) for m in p.messages(2))
                assert got == [("h/j", b"from js", 1), ("h/p", b"from paho", 2)], got
                got = sorted((m["topic"], m["payload"], m["qos"]) for m in js.messages(2))
                assert got == [("h/j", "from js", 1), ("h/p", "from paho", 2)], got
                js.end()
                p.disconnect()


@case
def raw_client_all_versions():
    with Broker() as b:
        for v in (3, 4, 5):
            c = client.connect(b, "raw%d" % v, version=v)
            c.subscribe("h/r", qos=2)
            for q in (0, 1, 2):
                c.publish("h/r", b"q%d" % q, qos=q)
                c.expect_publish("h/r", b"q%d" % q, qos=q)
            c.disconnect()


main()
