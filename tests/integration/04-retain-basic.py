#!/usr/bin/python3
"""04-retain-basic: retained messages are stored, replaced, cleared by an
empty payload, and sent to new subscriptions with the retain flag.

3.1.1: [MQTT-3.3.1-5] store; [MQTT-3.3.1-6] send the retained message to a
new matching subscription; [MQTT-3.3.1-7] a new retained message replaces the
old; [MQTT-3.3.1-8] retain 1 when sent because of a new subscription;
[MQTT-3.3.1-9] retain 0 to established subscriptions; [MQTT-3.3.1-10] an
empty retained payload removes the retained message, [MQTT-3.3.1-11] and is
not stored; [MQTT-3.3.1-12] retain 0 neither stores nor replaces."""

from lib import client, mqttjs, pahoclient, tools
from lib.broker import Broker
from lib.testing import case, main


@case
def set_replace_clear():
    with Broker() as b:
        for v in (3, 4, 5):
            t = "ret/v%d" % v
            pub = client.connect(b, "rp%d" % v, version=v)
            pub.publish(t, b"one", qos=1, retain=True)
            s1 = client.connect(b, "rs1-%d" % v, version=v)
            s1.subscribe(t, qos=1)
            s1.expect_publish(t, b"one", qos=1, retain=True)
            pub.publish(t, b"two", qos=1, retain=True)
            s1.expect_publish(t, b"two", qos=1, retain=False)
            # retain 0 does not replace the stored one.
            pub.publish(t, b"not-kept", qos=1, retain=False)
            s1.expect_publish(t, b"not-kept", qos=1, retain=False)
            s2 = client.connect(b, "rs2-%d" % v, version=v)
            s2.subscribe(t, qos=1)
            s2.expect_publish(t, b"two", qos=1, retain=True)
            s2.expect_none(0.2)
            # Empty payload clears it; the clearing message itself is
            # delivered to current subscribers as a normal message.
            pub.publish(t, b"", qos=1, retain=True)
            s1.expect_publish(t, b"", qos=1)
            s3 = client.connect(b, "rs3-%d" % v, version=v)
            s3.subscribe(t, qos=1)
            s3.expect_none(0.4)


@case
def retained_qos_is_min_of_message_and_subscription():
    with Broker() as b:
        pub = client.connect(b, "rq-pub")
        pub.publish("ret/q2", b"x2", qos=2, retain=True)
        pub.publish("ret/q0", b"x0", qos=0, retain=True)
        pub.ping()  # the broker handled the QoS 0 PUBLISH before this PINGRESP
        for sq in (0, 1, 2):
            s = client.connect(b, "rq%d" % sq)
            s.subscribe("ret/q2", qos=sq)
            s.expect_publish("ret/q2", b"x2", qos=sq, retain=True)
            s.subscribe("ret/q0", qos=sq)
            s.expect_publish("ret/q0", b"x0", qos=0, retain=True)


@case
def wildcard_subscription_gets_every_retained_match():
    with Broker() as b:
        pub = client.connect(b, "rw-pub")
        topics = ["rw/a", "rw/b/c", "rw/d", "other/x"]
        for t in topics:
            pub.publish(t, t.encode(), qos=1, retain=True)
        s = client.connect(b, "rw-sub")
        s.subscribe("rw/#", qos=1)
        got = sorted(s.expect_publish(qos=1, retain=True).topic for _ in range(3))
        assert got == ["rw/a", "rw/b/c", "rw/d"], got
        s.expect_none(0.3)


@case
def resubscribe_sends_retained_again():
    # [MQTT-3.8.4-3]: a repeated SUBSCRIBE re-sends the retained messages
    # (3.1.1; MQTT 5 with Retain Handling 0).
    with Broker() as b:
        pub = client.connect(b, "rr-pub")
        # QoS 1: the PUBACK says the message is stored before anyone
        # subscribes (a QoS 0 publish could still be in flight on another
        # worker when the subscription arrives, and go out live instead).
        pub.publish("ret/again", b"r", qos=1, retain=True)
        for v in (4, 5):
            s = client.connect(b, "rr%d" % v, version=v)
            for _ in range(2):
                s.subscribe("ret/again", qos=0)
                s.expect_publish("ret/again", b"r", retain=True)


@case
def v5_retain_as_published_and_handling():
    # MQTT 5 3.8.3.1: Retain As Published keeps the flag on live deliveries
    # [MQTT-3.3.1-12/13]; Retain Handling 1 sends retained messages only for
    # a new subscription, 2 never [MQTT-3.3.1-9/10/11] (5.0 numbering).
    from lib import packets as P
    with Broker() as b:
        pub = client.connect(b, "rap-pub", version=5)
        pub.publish("ret/rap", b"stored", qos=1, retain=True)
        rap = client.connect(b, "rap", version=5)
        rap.subscribe([("ret/rap", P.sub_options(1, rap=True))])
        rap.expect_publish("ret/rap", b"stored", retain=True)
        plain = client.connect(b, "norap", version=5)
        plain.subscribe([("ret/rap", P.sub_options(1))])
        plain.expect_publish("ret/rap", b"stored", retain=True)
        pub.publish("ret/rap", b"live", qos=1, retain=True)
        rap.expect_publish("ret/rap", b"live", retain=True)
        plain.expect_publish("ret/rap", b"live", retain=False)
        rh1 = client.connect(b, "rh1", version=5)
        rh1.subscribe([("ret/rap", P.sub_options(1, rh=1))])
        rh1.expect_publish("ret/rap", b"live", retain=True)
        rh1.subscribe([("ret/rap", P.sub_options(1, rh=1))])
        rh1.expect_none(0.3)
        rh2 = client.connect(b, "rh2", version=5)
        rh2.subscribe([("ret/rap", P.sub_options(1, rh=2))])
        rh2.expect_none(0.3)


@case
def third_party_retained():
    # mosquitto_pub -r, paho and MQTT.js set and read retained messages.
    with Broker() as b:
        for v in (4, 5):
            t = "ret/tp%d" % v
            tools.pub(b, t, "from mosquitto_pub", qos=1, version=v, retain=True)
            with tools.Sub(b, t, qos=1, version=v, count=1) as s:
                m = s.message()
                assert m == tools.Message(t, b"from mosquitto_pub", 1, True), m
            with pahoclient.Client(b, "pr%d" % v, version=v) as p:
                p.subscribe(t, qos=1)
                m = p.message()
                assert (m.payload, m.retain) == (b"from mosquitto_pub", 1), (m.payload, m.retain)
                p.publish(t, b"from paho", qos=1, retain=True)
                p.message()
                p.disconnect()
        mqttjs.require()
        with mqttjs.Client(b) as js:
            js.connect(clientId="jr", protocolVersion=5)
            js.subscribe("ret/tp5", qos=1)
            m = js.expect("message")
            assert (m["payload"], m["retain"]) == ("from paho", True), m
            js.publish("ret/js", "from js", qos=1, retain=True)
            js.publish("ret/tp5", "", qos=1, retain=True)
            js.end()
        c = client.connect(b, "rcheck", version=4)
        c.subscribe(["ret/js", "ret/tp5"], qos=1)
        c.expect_publish("ret/js", b"from js", qos=1, retain=True)
        c.expect_none(0.3)


main()
