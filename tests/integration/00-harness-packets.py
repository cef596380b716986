#!/usr/bin/python3
"""00-harness-packets: the raw packet builder and parser agree with the
specifications' byte layouts, and with each other (no broker needed)."""

from lib import packets as P
from lib.testing import case, main


@case
def varint_boundaries():
    # MQTT 3.1.1 section 2.2.3 / MQTT 5 section 1.5.5: 1 to 4 bytes.
    for n, enc in ((0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"),
                   (16383, b"\xff\x7f"), (16384, b"\x80\x80\x01"),
                   (2097151, b"\xff\xff\x7f"), (2097152, b"\x80\x80\x80\x01"),
                   (268435455, b"\xff\xff\xff\x7f")):
        assert P.varint(n) == enc, (n, P.varint(n))
        assert P.Reader(enc).varint() == n
    try:
        P.frame_length(b"\x30\xff\xff\xff\xff\x01")
        raise AssertionError("5-byte remaining length accepted")
    except P.MalformedError:
        pass
    assert P.frame_length(b"\x30\x80") is None


@case
def connect_layouts():
    # MQTT 3.1.1 section 3.1: the example CONNECT without will or credentials.
    assert P.connect("a", version=4, keepalive=10) == (
        b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x0a\x00\x01a")
    assert P.connect("a", version=3, keepalive=10)[4:10] == b"MQIsdp"
    v5 = P.connect("id", version=5, clean=False, username="u", password=b"p",
                   will_topic="w", will_payload=b"x", will_qos=1, will_retain=True,
                   props={"session_expiry_interval": 30}, will_props={"will_delay_interval": 2})
    p = P.decode(v5)
    assert (p.version, p.clean, p.client_id, p.username, p.password) == (5, False, "id", "u", b"p")
    assert (p.will_topic, p.will_payload, p.will_qos, p.will_retain) == ("w", b"x", 1, True)
    assert p.props == {"session_expiry_interval": 30}
    assert p.will_props == {"will_delay_interval": 2}
    assert p.connect_flags == 0x80 | 0x40 | 0x20 | 0x08 | 0x04


@case
def publish_and_acks_round_trip():
    for version in (4, 5):
        props = {"user_property": [("a", "b"), ("a", "c")], "message_expiry_interval": 9} \
            if version == 5 else None
        raw = P.publish("t/x", b"\x00pay", qos=2, retain=True, dup=True, mid=7, props=props,
                        version=version)
        assert raw[0] == 0x3D
        p = P.decode(raw, version)
        assert (p.topic, p.payload, p.qos, p.retain, p.dup, p.mid) == \
            ("t/x", b"\x00pay", 2, True, True, 7)
        assert p.props == (props or {})
        for build, ptype in ((P.puback, P.PUBACK), (P.pubrec, P.PUBREC),
                             (P.pubcomp, P.PUBCOMP)):
            a = P.decode(build(300, version=version), version)
            assert (a.type, a.mid, a.rc) == (ptype, 300, 0)
        assert P.pubrel(1) == b"\x62\x02\x00\x01"
    a = P.decode(P.puback(5, rc=0x87, props={"reason_string": "no"}, version=5), 5)
    assert (a.rc, a.props) == (0x87, {"reason_string": "no"})


@case
def subscribe_family():
    raw = P.subscribe(10, [("a/+", 1), ("b/#", 2)])
    assert raw[0] == 0x82
    s = P.decode(raw)
    assert (s.mid, s.topics) == (10, [("a/+", 1), ("b/#", 2)])
    s5 = P.decode(P.subscribe(11, [("c", P.sub_options(1, nl=True, rap=True, rh=2))],
                              props={"subscription_identifier": 5}, version=5), 5)
    assert s5.topics == [("c", 0x01 | 0x04 | 0x08 | 0x20)]
    assert s5.props == {"subscription_identifier": [5]}
    assert P.decode(P.suback(3, [0, 1, 0x80])).codes == [0, 1, 0x80]
    assert P.decode(P.suback(3, [0x87], version=5), 5).codes == [0x87]
    assert P.decode(P.unsubscribe(4, ["a", "b"])).filters == ["a", "b"]
    assert P.decode(P.unsuback(4, [0x11], version=5), 5).codes == [0x11]
    assert P.unsuback(4) == b"\xb0\x02\x00\x04"


@case
def small_packets():
    assert P.pingreq() == b"\xc0\x00" and P.pingresp() == b"\xd0\x00"
    assert P.disconnect() == b"\xe0\x00"
    d = P.decode(P.disconnect(0x8E, {"reason_string": "x"}, version=5), 5)
    assert (d.rc, d.props) == (0x8E, {"reason_string": "x"})
    a = P.decode(P.auth(0x18, {"authentication_method": "m"}), 5)
    assert (a.type, a.rc, a.props) == (P.AUTH, 0x18, {"authentication_method": "m"})
    c = P.decode(P.connack(0x86, props={"assigned_client_identifier": "z"}, version=5), 5)
    assert (c.rc, c.session_present, c.props) == (0x86, False, {"assigned_client_identifier": "z"})
    assert P.connack(0, True) == b"\x20\x02\x01\x00"


@case
def every_property_round_trips():
    samples = {"byte": 1, "u16": 513, "u32": 70000, "varint": 200, "utf8": "s",
               "bin": b"\x00\x01", "pair": ("k", "v")}
    props = {}
    for name, (_pid, kind) in P.PROPS.items():
        v = samples[kind]
        props[name] = [v] if name in P.REPEATABLE else v
    got = P.Reader(P.encode_props(props)).props()
    assert got == props, got


@case
def socket_helpers():
    import socket
    a, b = socket.socketpair()
    with a, b:
        a.sendall(P.connack(0) + P.pingresp()[:1])
        buf = bytearray()
        P.expect_packet(b, "CONNACK", 1.0, buf=buf)
        assert P.read_packet(b, 0.1, buf=buf) is None  # half a PINGRESP
        a.sendall(P.pingresp()[1:])
        P.expect_packet(b, P.PINGRESP, 1.0, buf=buf)
        a.close()
        try:
            P.read_packet(b, 1.0)
            raise AssertionError("no EOFError")
        except EOFError:
            pass


main()
