#!/usr/bin/python3
"""01-connect-client-id: empty and assigned client identifiers."""

from lib import client, mqttjs
from lib import packets as P
from lib.broker import Broker
from lib.client import Client
from lib.testing import case, main


@case
def v5_empty_id_gets_assigned_identifier():
    # MQTT 5 [MQTT-3.1.3-6]: a zero-length ClientID gets a unique one from the
    # Server, returned as Assigned Client Identifier in CONNACK (3.2.2.3.7).
    with Broker() as b:
        ids = set()
        for _ in range(2):
            c = client.connect(b, "", version=5)
            assigned = c.connack.props.get("assigned_client_identifier")
            assert assigned, c.connack
            ids.add(assigned)
            # The connection works under that identity.
            c.subscribe("cid/v5", qos=1)
            c.publish("cid/v5", b"x", qos=1)
            c.expect_publish("cid/v5", b"x", qos=1)
        assert len(ids) == 2, ids


@case
def v5_explicit_id_gets_no_assigned_identifier():
    with Broker() as b:
        c = client.connect(b, "explicit", version=5)
        assert "assigned_client_identifier" not in c.connack.props, c.connack


@case
def v311_empty_id_with_clean_session():
    # 3.1.1 [MQTT-3.1.3-6]/[MQTT-3.1.3-7]: a zero-byte ClientId is allowed
    # with CleanSession 1, and the connection works.
    with Broker() as b:
        c = client.connect(b, "", version=4, clean=True)
        assert c.connack.session_present is False
        c.subscribe("cid/v4", qos=2)
        c.publish("cid/v4", b"y", qos=2)
        c.expect_publish("cid/v4", b"y", qos=2)


@case
def v311_empty_id_without_clean_session_is_rejected():
    # [MQTT-3.1.3-8]: zero-byte ClientId with CleanSession 0: CONNACK 0x02
    # (identifier rejected), then the connection is closed [MQTT-3.2.2-5].
    with Broker() as b:
        c = Client(b)
        c.send(P.connect("", version=4, clean=False))
        c.expect("CONNACK", rc=P.RC3_ID_REJECTED, session_present=False)
        c.expect_closed()


@case
def mqttjs_v5_empty_id():
    mqttjs.require()
    with Broker() as b, mqttjs.Client(b) as js:
        e = js.connect(clientId="", protocolVersion=5, clean=True)
        assert e["properties"].get("assignedClientIdentifier"), e
        js.end()


main()
