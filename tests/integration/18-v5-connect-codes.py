#!/usr/bin/python3
"""18-v5-connect-codes: every CONNACK reason code the broker refuses an
MQTT 5 CONNECT with, from raw packets, and the 3.1.1 return code it maps to.

A refusal is a CONNACK with a code >= 0x80 and Session Present 0
[MQTT-3.2.2-6], then the close [MQTT-3.2.2-7] [MQTT-4.13.2-1]; nothing sent
after the CONNECT is processed [MQTT-3.1.4-6]. The codes (table 3-1):
0x81 Malformed Packet and 0x82 Protocol Error (section 4.13.1; each
property's section names its Protocol Errors: 3.1.2.11.2-3.1.2.11.10),
0x84 Unsupported Protocol Version (answered in 3.1.1's form, return code 1,
since a client of an unknown level may not read a v5 CONNACK;
[MQTT-3.1.2-2]), 0x85 Client Identifier not valid [MQTT-3.1.3-8], 0x86 Bad
User Name or Password, 0x87 Not authorized [MQTT-3.1.4-2], 0x8C Bad
authentication method [MQTT-4.12.0-1], 0x95 Packet too large, 0x97 Quota
exceeded (listener max_connections: a limit, not a rate, so not 0x9F),
0x99 Payload format invalid (3.1.3.2.3), 0x9A / 0x9B (will retain / QoS the
broker does not offer [MQTT-3.2.2-13] [MQTT-3.2.2-12]). 0x9C / 0x9D are in
18-v5-server-reference."""
# timeout: 60

from lib import client, env, testing
from lib import packets as P
from lib.broker import Broker
from lib.passwords import password_file
from lib.testing import case, main


def refused(b, raw, version=5):
    """Sends a hand-made CONNECT; returns the CONNACK, checking the close."""
    c = client.Client(b, version=version, name="raw")
    c.send(raw)
    ack = c.expect("CONNACK")
    c.expect_closed(allow=())
    assert ack.session_present is False, ack
    return ack


def v5_connect(cid="c", **kw):
    return P.connect(cid, version=5, **kw)


def with_props(props_bytes, cid=b"c"):
    """A v5 CONNECT whose property block is exactly props_bytes."""
    body = P.utf8("MQTT") + P.u8(5) + P.u8(0x02) + P.u16(60)
    body += P.varint(len(props_bytes)) + props_bytes + P.utf8(cid)
    return P.frame(P.CONNECT, 0, body)


@case(petrel_only="mosquitto 2.0.11 closes without CONNACK 0x81")
def malformed_0x81():
    with Broker() as b:
        cases = {
            "reserved flag": P.connect("c", version=5, flags=0x03),
            "client id overruns": P.frame(P.CONNECT, 0, P.utf8("MQTT") + b"\x05\x02\x00\x3c\x00"
                                          + b"\x00\x10ab"),
            "client id not UTF-8": P.connect(b"\xc3\x28", version=5),
            "will QoS 3": P.connect("c", version=5, flags=0x02 | 0x04 | 0x18),
            "unknown property": with_props(b"\x7f\x00"),
            "property not for CONNECT": with_props(b"\x24\x01"),  # Maximum QoS
        }
        for name, raw in cases.items():
            ack = refused(b, raw)
            assert ack.rc == P.RC_MALFORMED, (name, ack)
            assert ack.props.get("reason_string"), (name, ack)
        # 3.1.1 has no code for it: closed without CONNACK [MQTT-4.8.0-1].
        c = client.Client(b, version=4)
        c.send(P.connect("c", version=4, flags=0x03))
        c.expect_closed(allow=())


@case(petrel_only="mosquitto 2.0.11 closes these without CONNACK and accepts Authentication "
                   "Data without a Method")
def protocol_error_0x82():
    with Broker() as b:
        cases = {
            "Authentication Data without Method": with_props(b"\x16" + P.binary(b"x")),
            "Session Expiry twice": with_props(b"\x11" + P.u32(1) + b"\x11" + P.u32(2)),
            "Receive Maximum 0": with_props(b"\x21" + P.u16(0)),
            "Maximum Packet Size 0": with_props(b"\x27" + P.u32(0)),
            "Request Problem Information 2": with_props(b"\x17\x02"),
            "Request Response Information 2": with_props(b"\x19\x02"),
            "Will Delay twice": P.frame(P.CONNECT, 0, P.utf8("MQTT") + b"\x05\x06\x00\x3c\x00" + P.utf8("c")
                    + P.varint(10) + b"\x18" + P.u32(1) + b"\x18" + P.u32(2)
                    + P.utf8("w") + P.binary(b"")),
        }
        for name, raw in cases.items():
            ack = refused(b, raw)
            assert ack.rc == P.RC_PROTOCOL_ERROR, (name, ack)


@case
def unsupported_version_0x84():
    with Broker() as b:
        for name, level in ((b"MQTT", 6), (b"MQTT", 2), (b"MQIsdp", 4)):
            c = client.Client(b, version=4, name="lvl")
            c.send(P.connect("c", version=level, proto_name=name))
            raw = c.sock.recv(16)
            # 3.1.1's CONNACK, return code 1 (0x84's meaning in every version).
            assert raw == b"\x20\x02\x00\x01", (name, level, raw)
            c.expect_closed(allow=())


@case(petrel_only="max_client_id_length is a Petrel option")
def client_identifier_not_valid_0x85():
    with Broker(conf=["max_client_id_length 23"]) as b:
        assert refused(b, v5_connect("x" * 24)).rc == P.RC_ID_NOT_VALID  # [MQTT-3.1.3-8]
        client.connect(b, "y" * 23, version=5).disconnect()  # [MQTT-3.1.3-5]
        assert refused(b, P.connect("x" * 24, version=4), version=4).rc == P.RC3_ID_REJECTED
        # 3.1.1: an empty id needs Clean Session 1 [MQTT-3.1.3-8] (3.1.1).
        assert refused(b, P.connect("", version=4, clean=False), 4).rc == P.RC3_ID_REJECTED


@case
def credentials_0x86_and_0x87():
    users = {"alice": "secret"}
    conf = ["allow_anonymous false", "password_file {dir}/passwd"]
    with Broker(conf=conf, files={"passwd": password_file(users)}) as b:
        bad = v5_connect(username="alice", password=b"wrong")
        bad3 = P.connect("c", version=4, username="alice", password=b"wrong")
        # mosquitto 2.0.11 says Not authorized (0x87, 5) for a wrong password.
        if env.is_mosquitto():
            assert refused(b, bad).rc in (P.RC_BAD_CREDENTIALS, P.RC_NOT_AUTHORIZED)
            assert refused(b, bad3, 4).rc in (P.RC3_BAD_CREDENTIALS, P.RC3_NOT_AUTHORIZED)
        else:
            assert refused(b, bad).rc == P.RC_BAD_CREDENTIALS
            assert refused(b, bad3, 4).rc == P.RC3_BAD_CREDENTIALS
        # No user name where anonymous access is off.
        assert refused(b, v5_connect()).rc in (P.RC_NOT_AUTHORIZED, P.RC_BAD_CREDENTIALS)
        if not env.is_mosquitto():
            assert refused(b, v5_connect()).rc == P.RC_NOT_AUTHORIZED
            assert refused(b, P.connect("c", version=4), 4).rc == P.RC3_NOT_AUTHORIZED
        client.connect(b, "ok", version=5, username="alice", password=b"secret").disconnect()


@case
def nothing_after_a_refused_connect_is_processed():
    # [MQTT-3.1.4-6]: a PUBLISH pipelined behind a refused CONNECT goes nowhere.
    users = {"alice": "secret"}
    conf = ["allow_anonymous false", "password_file {dir}/passwd"]
    with Broker(conf=conf, files={"passwd": password_file(users)}) as b:
        w = client.connect(b, "w", version=5, username="alice", password=b"secret")
        w.subscribe("pipe/#", qos=1)
        c = client.Client(b, version=5)
        c.send(v5_connect(username="alice", password=b"no"),
               P.publish("pipe/x", b"sneaky", qos=0, version=5))
        assert c.expect("CONNACK").rc in (P.RC_BAD_CREDENTIALS, P.RC_NOT_AUTHORIZED)
        c.expect_closed(allow=())
        w.expect_none(0.5)


@case
def bad_authentication_method_0x8c():
    with Broker() as b:
        raw = v5_connect(props={"authentication_method": "NO-SUCH-METHOD",
                                "authentication_data": b"x"})
        assert refused(b, raw).rc == 0x8C  # [MQTT-4.12.0-1]


@case(petrel_only="mosquitto 2.0.11 closes without CONNACK 0x95")
def packet_too_large_0x95():
    with Broker(conf=["max_packet_size 100"]) as b:
        big = v5_connect("c", props={"user_property": [("k", "v" * 120)]})
        assert refused(b, big).rc == P.RC_PACKET_TOO_LARGE
        # Told as soon as the protocol level has arrived, the rest unread.
        c = client.Client(b, version=5)
        c.send(big[:12])
        assert c.expect("CONNACK").rc == P.RC_PACKET_TOO_LARGE
        c.expect_closed(allow=())
        # 3.1.1 has no code for it: closed.
        c = client.Client(b, version=4)
        c.send(P.connect("c" * 120, version=4))
        c.expect_closed(allow=())


@case(petrel_only="mosquitto 2.0.11 closes the socket at max_connections")
def quota_exceeded_0x97():
    with Broker(conf=["max_connections 2"]) as b:
        a = client.connect(b, "a", version=5)
        c = client.connect(b, "c", version=4)
        ack = refused(b, v5_connect("over"))
        assert ack.rc == P.RC_QUOTA_EXCEEDED, ack
        assert ack.props.get("reason_string"), ack
        assert refused(b, P.connect("over", version=4), 4).rc == P.RC3_UNAVAILABLE
        a.disconnect()
        testing.wait_until(lambda: client.connect(b, "again", version=5, expect_rc=None)
                           .connack.rc == 0, what="a free connection slot")


@case(petrel_only="mosquitto 2.0.11 does not check the will's payload format")
def payload_format_invalid_0x99():
    with Broker() as b:
        raw = v5_connect(will_topic="w", will_payload=b"\xff\xfe",
                         will_props={"payload_format_indicator": 1})
        assert refused(b, raw).rc == 0x99
        ok = client.connect(b, "ok", version=5, will_topic="w", will_payload=b"caf\xc3\xa9",
                            will_props={"payload_format_indicator": 1})
        ok.disconnect()


@case(petrel_only="mosquitto 2.0.11 closes without CONNACK 0x9A / 0x9B")
def will_beyond_what_is_offered_0x9a_0x9b():
    with Broker(conf=["max_qos 1", "retain_available false"]) as b:
        assert refused(b, v5_connect(will_topic="w", will_qos=2)).rc == P.RC_QOS_NOT_SUPPORTED
        assert refused(b, v5_connect(will_topic="w", will_retain=True)).rc == 0x9A
        assert refused(b, P.connect("c", version=4, will_topic="w", will_qos=2),
                       4).rc == P.RC3_UNAVAILABLE


main()
