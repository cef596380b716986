#!/usr/bin/python3
"""01-connect-versions: CONNECT for protocol levels 3 (MQIsdp), 4 and 5 from
our raw client and from paho / mosquitto_pub, and the connection-level
protocol errors around CONNECT."""

from lib import client, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.client import Client
from lib.testing import case, main


@case
def raw_connect_each_version():
    # MQTT 3.1 (protocol name MQIsdp, level 3), 3.1.1 (MQTT, 4), 5.0 (MQTT, 5):
    # CONNACK rc 0, session present 0 for a clean session [MQTT-3.2.2-1].
    with Broker() as b:
        for v in (3, 4, 5):
            c = client.connect(b, "ver%d" % v, version=v)
            assert c.connack.session_present is False, c.connack
            c.ping()  # [MQTT-3.12.4-1] PINGREQ gets PINGRESP
            c.disconnect()


@case
def paho_each_version():
    with Broker() as b:
        for v in (3, 4, 5):
            with pahoclient.Client(b, "paho%d" % v, version=v) as p:
                p.subscribe("ver/paho", qos=1)
                p.publish("ver/paho", b"v%d" % v, qos=1)
                m = p.message()
                assert (m.topic, m.payload, m.qos) == ("ver/paho", b"v%d" % v, 1)
                p.disconnect()


@case
def mosquitto_pub_each_version():
    with Broker() as b:
        with tools.Sub(b, "ver/mp", qos=2, version=4) as s:
            for v in (3, 4, 5):
                tools.pub(b, "ver/mp", "v%d" % v, qos=2, version=v)
            got = [m.payload for m in s.messages(3)]
            assert got == [b"v3", b"v4", b"v5"], got


@case
def unsupported_level_gets_rc1_and_close():
    # [MQTT-3.1.2-2] unsupported protocol level: CONNACK return code 0x01,
    # then the Server disconnects [MQTT-3.2.2-5].
    with Broker() as b:
        c = Client(b)
        c.send(P.connect("lvl", version=6, proto_name="MQTT"))
        c.expect("CONNACK", rc=P.RC3_BAD_VERSION, session_present=False)
        c.expect_closed()


@case
def wrong_protocol_name_is_closed():
    # [MQTT-3.1.2-1] a protocol name that is not "MQTT" (level 4): the Server
    # MAY disconnect without CONNACK; it must not accept the connection.
    with Broker() as b:
        for name in (b"MQTX", b"mqtt", b"MQIsdp"):
            c = Client(b)
            c.send(P.connect("pn", version=4, proto_name=name))
            for p in c.expect_closed(allow=("CONNACK",)):
                assert p.rc != 0, p


@case
def reserved_connect_flag_is_closed():
    # [MQTT-3.1.2-3] the reserved bit of Connect Flags must be 0, else close.
    with Broker() as b:
        for v in (4, 5):
            c = Client(b, version=v)
            c.send(P.connect("rsv", version=v, flags=0x03))
            c.expect_closed(allow=("CONNACK", "DISCONNECT"))


@case
def first_packet_must_be_connect():
    # [MQTT-3.1.0-1] the first packet from the Client must be CONNECT.
    with Broker() as b:
        for first in (P.pingreq(), P.subscribe(1, "t", qos=0), P.publish("t", b"x")):
            c = Client(b)
            c.send(first)
            c.expect_closed(allow=())


@case
def second_connect_is_a_protocol_violation():
    # [MQTT-3.1.0-2] a second CONNECT on a connection: protocol violation, close.
    with Broker() as b:
        for v in (4, 5):
            c = client.connect(b, "twice%d" % v, version=v)
            c.send(P.connect("twice%d" % v, version=v))
            c.expect_closed()


@case
def will_flags_without_will():
    # [MQTT-3.1.2-11] Will Flag 0: Will QoS and Will Retain must be 0, else
    # the connection is malformed and closed [MQTT-3.1.2-13].
    with Broker() as b:
        c = Client(b)
        c.send(P.connect("wq", version=4, flags=0x02 | 0x08))
        c.expect_closed(allow=("CONNACK",))


main()
