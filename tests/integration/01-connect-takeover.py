#!/usr/bin/python3
"""01-connect-takeover: a second connection with the same client id takes
over the session and closes the first."""

from lib import client, env, mqttjs
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


@case
def v311_takeover_closes_first():
    # 3.1.1 [MQTT-3.1.4-2]: the Server disconnects the existing Client.
    with Broker() as b:
        first = client.connect(b, "dup-id", version=4)
        second = client.connect(b, "dup-id", version=4)
        first.expect_closed(allow=())
        second.ping()
        second.disconnect()


@case
def v5_takeover_sends_session_taken_over():
    # MQTT 5 [MQTT-3.1.4-3]: the Server sends DISCONNECT 0x8E (Session taken
    # over) to the existing Client and closes its connection. mosquitto 2.0.11
    # closes without the DISCONNECT, so only the close is checked there.
    with Broker() as b:
        first = client.connect(b, "dup5", version=5)
        second = client.connect(b, "dup5", version=5)
        seen = first.expect_closed()
        if not env.is_mosquitto():
            assert [(p.name, p.rc) for p in seen] == [("DISCONNECT", P.RC_SESSION_TAKEN_OVER)], seen
        second.ping()


@case
def takeover_keeps_persistent_session():
    # The new connection continues the session [MQTT-3.1.2-4]: session present
    # 1 [MQTT-3.2.2-2] and the subscription still delivers.
    with Broker() as b:
        for v in (4, 5):
            kw = {"props": {"session_expiry_interval": 300}} if v == 5 else {}
            cid = "keep%d" % v
            first = client.connect(b, cid, version=v, clean=False, **kw)
            first.subscribe("tk/keep", qos=1)
            second = client.connect(b, cid, version=v, clean=False, **kw)
            assert second.connack.session_present is True, second.connack
            first.expect_closed()
            pub = client.connect(b, "pub%d" % v, version=v)
            pub.publish("tk/keep", b"after", qos=1)
            second.expect_publish("tk/keep", b"after", qos=1)
            second.disconnect()


@case
def takeover_with_clean_session_starts_fresh():
    # [MQTT-3.1.2-6]: a clean session discards the previous session state.
    with Broker() as b:
        first = client.connect(b, "fresh", version=4, clean=False)
        first.subscribe("tk/fresh", qos=1)
        second = client.connect(b, "fresh", version=4, clean=True)
        assert second.connack.session_present is False
        first.expect_closed()
        pub = client.connect(b, "pubf", version=4)
        pub.publish("tk/fresh", b"x", qos=1)
        second.expect_none(0.5)


@case
def mqttjs_takeover():
    # The same with MQTT.js on both sides (reconnection off): the first one
    # sees its connection close; 5.0 also a DISCONNECT 0x8E (Petrel).
    mqttjs.require()
    with Broker() as b:
        for v in (4, 5):
            with mqttjs.Client(b, "js-a") as a, mqttjs.Client(b, "js-b") as bb:
                a.connect(clientId="jsdup%d" % v, protocolVersion=v)
                bb.connect(clientId="jsdup%d" % v, protocolVersion=v)
                a.expect("close", timeout=5)
                if v == 5 and not env.is_mosquitto():
                    e = a.expect("disconnect")
                    assert e["reasonCode"] == P.RC_SESSION_TAKEN_OVER, e
                bb.subscribe("tk/js", qos=1)
                bb.publish("tk/js", "still here", qos=1)
                assert bb.expect("message")["payload"] == "still here"
                bb.end()


main()
