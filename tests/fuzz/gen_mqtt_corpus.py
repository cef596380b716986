#!/usr/bin/python3
"""Writes the seed corpus of fuzz_mqtt_decode: small binary files, each a
selector byte (low two bits mod 3: 3.1 / 3.1.1 / 5.0; bit 7: sent by the
server) followed by one or more whole packets, covering every packet type
for 3.1.1 and 5.0, with properties.

Usage: tests/fuzz/gen_mqtt_corpus.py [OUTDIR]
(default: tests/fuzz/corpus/fuzz_mqtt_decode next to this script)
"""
import os
import struct
import sys

V31, V311, V5 = 0, 1, 2
SERVER = 0x80


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def s(x):
    if isinstance(x, str):
        x = x.encode()
    return struct.pack(">H", len(x)) + x


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def packet(type_, flags, body):
    return bytes([type_ << 4 | flags]) + varint(len(body)) + body


def props(*items):
    block = b"".join(items)
    return varint(len(block)) + block


def p_byte(pid, v):
    return bytes([pid, v])


def p_u16(pid, v):
    return bytes([pid]) + u16(v)


def p_u32(pid, v):
    return bytes([pid]) + u32(v)


def p_str(pid, v):
    return bytes([pid]) + s(v)


def p_var(pid, v):
    return bytes([pid]) + varint(v)


def p_user(k, v):
    return b"\x26" + s(k) + s(v)


def connect(level, flags, keep, client_id, prop=b"", will=None, user=None, password=None):
    name = "MQIsdp" if level == 3 else "MQTT"
    body = s(name) + bytes([level, flags]) + u16(keep)
    if level == 5:
        body += prop or props()
    body += s(client_id)
    if will:
        wprops, topic, payload = will
        if level == 5:
            body += wprops or props()
        body += s(topic) + s(payload)
    if user is not None:
        body += s(user)
    if password is not None:
        body += s(password)
    return packet(1, 0, body)


def publish(qos, topic, payload, pid=0, prop=None, dup=False, retain=False):
    flags = (8 if dup else 0) | qos << 1 | (1 if retain else 0)
    body = s(topic) + (u16(pid) if qos else b"")
    if prop is not None:
        body += prop
    return packet(3, flags, body + payload)


def ack(type_, pid, reason=None, prop=None):
    body = u16(pid)
    if reason is not None:
        body += bytes([reason])
        if prop is not None:
            body += prop
    return packet(type_, 2 if type_ == 6 else 0, body)


def subscribe(pid, entries, prop=None):
    body = u16(pid) + (prop if prop is not None else b"")
    for f, opts in entries:
        body += s(f) + bytes([opts])
    return packet(8, 2, body)


def unsubscribe(pid, filters, prop=None):
    body = u16(pid) + (prop if prop is not None else b"")
    for f in filters:
        body += s(f)
    return packet(10, 2, body)


def suback(type_, pid, codes, prop=None):
    return packet(type_, 0, u16(pid) + (prop if prop is not None else b"") + bytes(codes))


def seeds():
    c311 = connect(4, 0xEE, 60, "cid", will=(None, "a/b", b"bye"), user="u", password=b"p\0")
    c31 = connect(3, 0x02, 30, "sensor-1")
    c5 = connect(5, 0xC6, 60, "c5",
                 prop=props(p_u32(0x11, 3600), p_u16(0x21, 10), p_u32(0x27, 65536),
                            p_u16(0x22, 5), p_byte(0x17, 1), p_byte(0x19, 1),
                            p_user("k", "v")),
                 will=(props(p_u32(0x18, 5), p_byte(0x01, 1), p_u32(0x02, 60),
                             p_str(0x03, "text/plain"), p_str(0x08, "reply/t"),
                             p_str(0x09, b"\x00\x01"), p_user("w", "1")),
                       "will/t", b"gone"),
                 user="user", password=b"secret")
    c5auth = connect(5, 0x02, 0, "a", prop=props(p_str(0x15, "SCRAM-SHA-1"),
                                                 p_str(0x16, b"\x00n,,n=user")))
    yield "v311_connect", V311, [c311]
    yield "v31_connect", V31, [c31]
    yield "v5_connect_props_will", V5, [c5]
    yield "v5_connect_auth", V5, [c5auth]
    yield "v311_connack", V311 | SERVER, [packet(2, 0, b"\x01\x00")]
    yield "v31_connack", V31 | SERVER, [packet(2, 0, b"\x00\x05")]
    yield "v5_connack_props", V5 | SERVER, [packet(2, 0, b"\x00\x00" + props(
        p_u32(0x11, 0), p_str(0x12, "auto-1"), p_u16(0x13, 30), p_str(0x1A, "resp"),
        p_str(0x1C, "other"), p_str(0x1F, "ok"), p_u16(0x21, 20), p_u16(0x22, 10),
        p_byte(0x24, 1), p_byte(0x25, 1), p_u32(0x27, 1 << 20), p_byte(0x28, 1),
        p_byte(0x29, 1), p_byte(0x2A, 0), p_user("a", "b")))]
    yield "v5_connack_fail", V5 | SERVER, [packet(2, 0, b"\x00\x87" + props(p_str(0x1F, "no")))]
    yield "v311_publish_q0", V311, [publish(0, "sensors/temp", b"21.5")]
    yield "v311_publish_q1_retain", V311, [publish(1, "a/b", b"x", pid=1, retain=True)]
    yield "v311_publish_q2_dup", V311 | SERVER, [publish(2, "$SYS/broker/load", b"1", pid=65535,
                                                         dup=True)]
    yield "v5_publish_props", V5, [publish(1, "t/1", b"{}", pid=7, prop=props(
        p_byte(0x01, 1), p_u32(0x02, 30), p_str(0x03, "application/json"),
        p_str(0x08, "resp/1"), p_str(0x09, b"id-1"), p_u16(0x23, 3), p_user("x", "y")))]
    yield "v5_publish_alias_only", V5, [publish(0, "", b"v", prop=props(p_u16(0x23, 3)))]
    yield "v5_publish_server_subids", V5 | SERVER, [publish(2, "s/t", b"", pid=9, prop=props(
        p_var(0x0B, 1), p_var(0x0B, 268435455), p_user("k", "")))]
    for t, name in ((4, "puback"), (5, "pubrec"), (6, "pubrel"), (7, "pubcomp")):
        yield "v311_" + name, V311, [ack(t, 10)]
        reason = 0x92 if t in (6, 7) else 0x10
        yield "v5_" + name, V5, [ack(t, 10, reason, props(p_str(0x1F, "r"), p_user("a", "b")))]
        yield "v5_" + name + "_short", V5 | SERVER, [ack(t, 11, 0)]
    yield "v311_subscribe", V311, [subscribe(1, [("a/+", 1), ("#", 2), ("$share/g/x", 0)])]
    yield "v5_subscribe_opts", V5, [subscribe(2, [("a/b", 0x2D), ("$share/g/#", 0x09),
                                                  ("+/+/x", 0x12)],
                                              props(p_var(0x0B, 300), p_user("s", "1")))]
    yield "v311_suback", V311 | SERVER, [suback(9, 1, [0, 1, 2, 0x80])]
    yield "v5_suback", V5 | SERVER, [suback(9, 2, [0, 0x8F, 0xA2], props(p_str(0x1F, "x")))]
    yield "v311_unsubscribe", V311, [unsubscribe(3, ["a/+", "#"])]
    yield "v5_unsubscribe", V5, [unsubscribe(4, ["a/b", "$share/g/c"], props(p_user("u", "1")))]
    yield "v311_unsuback", V311 | SERVER, [suback(11, 3, [])]
    yield "v5_unsuback", V5 | SERVER, [suback(11, 4, [0, 0x11], props(p_str(0x1F, "gone")))]
    yield "v311_ping", V311, [packet(12, 0, b"")]
    yield "v311_pingresp", V311 | SERVER, [packet(13, 0, b"")]
    yield "v311_disconnect", V311, [packet(14, 0, b"")]
    yield "v5_disconnect_props", V5, [packet(14, 0, b"\x04" + props(
        p_u32(0x11, 10), p_str(0x1F, "bye"), p_user("k", "v")))]
    yield "v5_disconnect_server", V5 | SERVER, [packet(14, 0, b"\x9c" + props(
        p_str(0x1C, "host:1883")))]
    yield "v5_auth", V5, [packet(15, 0, b"\x18" + props(p_str(0x15, "SCRAM-SHA-1"),
                                                        p_str(0x16, b"c=biws")))]
    yield "v5_auth_empty", V5 | SERVER, [packet(15, 0, b"")]
    # Sessions: several packets back to back, as a connection reads them.
    yield "v311_session", V311, [c311, subscribe(1, [("a/#", 1)]),
                                 publish(1, "a/b", b"hi", pid=2), ack(6, 2),
                                 packet(12, 0, b""), packet(14, 0, b"")]
    yield "v5_session", V5, [c5, subscribe(1, [("t/+", 2)], props()),
                             publish(2, "t/1", b"v", pid=3, prop=props()),
                             ack(6, 3, 0, props()), unsubscribe(2, ["t/+"], props()),
                             packet(14, 0, b"")]
    yield "v5_server_session", V5 | SERVER, [
        packet(2, 0, b"\x00\x00" + props(p_u16(0x22, 10))),
        suback(9, 1, [1], props()), publish(1, "t/1", b"v", pid=5, prop=props(p_var(0x0B, 2))),
        ack(5, 6, 0x00, props()), packet(13, 0, b"")]
    # Edge cases: a 2-byte remaining length, and a frame cut short.
    yield "v311_publish_200", V311, [publish(0, "big", bytes(range(200)))]
    yield "v5_truncated", V5, [publish(1, "t", b"xyz", pid=1, prop=props())[:-2]]
    yield "small_max_size", V311 | 0x40, [publish(0, "t", bytes(100))]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "fuzz_mqtt_decode")
    os.makedirs(out, exist_ok=True)
    count = 0
    for name, sel, packets in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([sel]) + b"".join(packets))
        count += 1
    print("wrote %d seeds to %s" % (count, out))


if __name__ == "__main__":
    main()
