"""Raw MQTT packets: builders and a parser for MQTT 3.1, 3.1.1 and 5.0.

Written from the OASIS specifications (MQTT 3.1.1 section 2-3, MQTT 5.0
sections 1-3). Builders return bytes; each takes `version` (3 = 3.1 "MQIsdp",
4 = 3.1.1, 5 = 5.0) where the encoding depends on it. Builders never check
their arguments, so a test can build malformed packets on purpose; `frame()`
and the primitives below are there for bytes no builder makes.

The parser takes one complete packet (see frame_length()) and returns a
Packet whose attributes depend on the type:
    CONNECT      proto_name version clean keepalive client_id will_* username password props
    CONNACK      session_present rc props
    PUBLISH      topic payload qos retain dup mid props
    PUBACK/PUBREC/PUBREL/PUBCOMP   mid rc props
    SUBSCRIBE    mid topics [(filter, options)] props
    SUBACK/UNSUBACK                mid codes props
    UNSUBSCRIBE  mid filters props
    DISCONNECT/AUTH                rc props
    PINGREQ/PINGRESP               (nothing)
read_packet()/expect_packet() read one packet from a plain socket with a
time limit (client.Client is the fuller tool).

Properties are a dict keyed by the snake_case property name, e.g.
{"session_expiry_interval": 60, "user_property": [("k", "v")]}; the two
repeatable properties (user_property, subscription_identifier) are lists.
"""

import select
import struct
import time

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP = 8, 9, 10, 11, 12, 13
DISCONNECT, AUTH = 14, 15

NAMES = {
    CONNECT: "CONNECT", CONNACK: "CONNACK", PUBLISH: "PUBLISH", PUBACK: "PUBACK",
    PUBREC: "PUBREC", PUBREL: "PUBREL", PUBCOMP: "PUBCOMP", SUBSCRIBE: "SUBSCRIBE",
    SUBACK: "SUBACK", UNSUBSCRIBE: "UNSUBSCRIBE", UNSUBACK: "UNSUBACK",
    PINGREQ: "PINGREQ", PINGRESP: "PINGRESP", DISCONNECT: "DISCONNECT", AUTH: "AUTH",
}
TYPES = {v: k for k, v in NAMES.items()}

# 3.1.1 CONNACK return codes (section 3.2.2.3).
RC3_ACCEPTED = 0
RC3_BAD_VERSION = 1
RC3_ID_REJECTED = 2
RC3_UNAVAILABLE = 3
RC3_BAD_CREDENTIALS = 4
RC3_NOT_AUTHORIZED = 5

# The MQTT 5 reason codes the tests use (section 2.4).
RC_SUCCESS = 0x00
RC_GRANTED_QOS1 = 0x01
RC_GRANTED_QOS2 = 0x02
RC_DISCONNECT_WITH_WILL = 0x04
RC_NO_MATCHING_SUBSCRIBERS = 0x10
RC_NO_SUBSCRIPTION_EXISTED = 0x11
RC_UNSPECIFIED = 0x80
RC_MALFORMED = 0x81
RC_PROTOCOL_ERROR = 0x82
RC_IMPL_SPECIFIC = 0x83
RC_BAD_VERSION = 0x84
RC_ID_NOT_VALID = 0x85
RC_BAD_CREDENTIALS = 0x86
RC_NOT_AUTHORIZED = 0x87
RC_KEEPALIVE_TIMEOUT = 0x8D
RC_SESSION_TAKEN_OVER = 0x8E
RC_TOPIC_FILTER_INVALID = 0x8F
RC_TOPIC_NAME_INVALID = 0x90
RC_PACKET_ID_IN_USE = 0x91
RC_PACKET_ID_NOT_FOUND = 0x92
RC_RECEIVE_MAX_EXCEEDED = 0x93
RC_TOPIC_ALIAS_INVALID = 0x94
RC_PACKET_TOO_LARGE = 0x95
RC_QUOTA_EXCEEDED = 0x97
RC_PAYLOAD_FORMAT_INVALID = 0x99
RC_QOS_NOT_SUPPORTED = 0x9B
RC_SHARED_SUBS_NOT_SUPPORTED = 0x9E
RC_SUB_IDS_NOT_SUPPORTED = 0xA1
RC_WILDCARD_SUBS_NOT_SUPPORTED = 0xA2

PROTO_NAMES = {3: b"MQIsdp", 4: b"MQTT", 5: b"MQTT"}


class MalformedError(Exception):
    """The bytes are not a well-formed MQTT packet."""


# --- primitives (section 1.5 of both specifications) -----------------------

def u8(n):
    return struct.pack("!B", n)


def u16(n):
    return struct.pack("!H", n)


def u32(n):
    return struct.pack("!I", n)


def varint(n):
    """Variable Byte Integer: 7 bits a byte, high bit = more (at most 4 bytes
    for valid values; larger n gives more bytes, which is malformed)."""
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        if n:
            byte |= 0x80
        out.append(byte)
        if not n:
            return bytes(out)


def as_bytes(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def utf8(s):
    """A length-prefixed UTF-8 string (str is encoded; bytes are sent as is)."""
    b = as_bytes(s)
    return u16(len(b)) + b


binary = utf8  # Binary Data has the same shape: 2-byte length, then bytes.


def frame(ptype, flags, body):
    """A whole packet: fixed header (type, flags, remaining length) + body."""
    return u8((ptype << 4) | (flags & 0x0F)) + varint(len(body)) + body


# --- properties (MQTT 5 section 2.2.2.2) -----------------------------------

PROPS = {
    "payload_format_indicator": (0x01, "byte"),
    "message_expiry_interval": (0x02, "u32"),
    "content_type": (0x03, "utf8"),
    "response_topic": (0x08, "utf8"),
    "correlation_data": (0x09, "bin"),
    "subscription_identifier": (0x0B, "varint"),
    "session_expiry_interval": (0x11, "u32"),
    "assigned_client_identifier": (0x12, "utf8"),
    "server_keep_alive": (0x13, "u16"),
    "authentication_method": (0x15, "utf8"),
    "authentication_data": (0x16, "bin"),
    "request_problem_information": (0x17, "byte"),
    "will_delay_interval": (0x18, "u32"),
    "request_response_information": (0x19, "byte"),
    "response_information": (0x1A, "utf8"),
    "server_reference": (0x1C, "utf8"),
    "reason_string": (0x1F, "utf8"),
    "receive_maximum": (0x21, "u16"),
    "topic_alias_maximum": (0x22, "u16"),
    "topic_alias": (0x23, "u16"),
    "maximum_qos": (0x24, "byte"),
    "retain_available": (0x25, "byte"),
    "user_property": (0x26, "pair"),
    "maximum_packet_size": (0x27, "u32"),
    "wildcard_subscription_available": (0x28, "byte"),
    "subscription_identifier_available": (0x29, "byte"),
    "shared_subscription_available": (0x2A, "byte"),
}
PROP_BY_ID = {pid: (name, kind) for name, (pid, kind) in PROPS.items()}
REPEATABLE = ("user_property", "subscription_identifier")


def _prop_value(kind, v):
    if kind == "byte":
        return u8(v)
    if kind == "u16":
        return u16(v)
    if kind == "u32":
        return u32(v)
    if kind == "varint":
        return varint(v)
    if kind in ("utf8", "bin"):
        return utf8(v)
    return utf8(v[0]) + utf8(v[1])  # pair


def props_body(props):
    """The property bytes without their length prefix. `props` is a dict as
    described in the module comment; a repeatable property may be a list."""
    out = b""
    for name, value in (props or {}).items():
        pid, kind = PROPS[name]
        values = value if name in REPEATABLE and isinstance(value, list) else [value]
        for v in values:
            out += varint(pid) + _prop_value(kind, v)
    return out


def encode_props(props):
    """Property Length + properties (an empty dict or None gives b"\\x00")."""
    body = props_body(props)
    return varint(len(body)) + body


# --- builders ---------------------------------------------------------------

def connect(client_id="", version=4, clean=True, keepalive=60, username=None,
            password=None, will_topic=None, will_payload=b"", will_qos=0,
            will_retain=False, will_props=None, props=None, proto_name=None,
            flags=None):
    """CONNECT (section 3.1). `clean` is Clean Session (3.x) or Clean Start (5).
    `flags` overrides the computed Connect Flags byte; `proto_name` the
    protocol name (default MQIsdp for 3, MQTT otherwise)."""
    name = PROTO_NAMES.get(version, b"MQTT") if proto_name is None else as_bytes(proto_name)
    f = 0
    if clean:
        f |= 0x02
    if will_topic is not None:
        f |= 0x04 | (will_qos << 3) | (0x20 if will_retain else 0)
    if password is not None:
        f |= 0x40
    if username is not None:
        f |= 0x80
    if flags is not None:
        f = flags
    body = utf8(name) + u8(version) + u8(f) + u16(keepalive)
    if version == 5:
        body += encode_props(props)
    body += utf8(client_id)
    if will_topic is not None:
        if version == 5:
            body += encode_props(will_props)
        body += utf8(will_topic) + binary(will_payload)
    if username is not None:
        body += utf8(username)
    if password is not None:
        body += binary(password)
    return frame(CONNECT, 0, body)


def connack(rc=0, session_present=False, props=None, version=4):
    body = u8(1 if session_present else 0) + u8(rc)
    if version == 5:
        body += encode_props(props)
    return frame(CONNACK, 0, body)


def publish(topic, payload=b"", qos=0, retain=False, dup=False, mid=None, props=None,
            version=4):
    """PUBLISH (section 3.3). `mid` is required for QoS > 0 (a missing one on
    QoS > 0 is left out, which makes a malformed packet)."""
    flags = (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = utf8(topic)
    if qos > 0 and mid is not None:
        body += u16(mid)
    if version == 5:
        body += encode_props(props)
    return frame(PUBLISH, flags, body + as_bytes(payload))


def _ack(ptype, flags, mid, rc, props, version):
    body = u16(mid)
    if version == 5 and (rc not in (None, 0) or props):
        body += u8(rc or 0)
        if props:
            body += encode_props(props)
    return frame(ptype, flags, body)


def puback(mid, rc=None, props=None, version=4):
    return _ack(PUBACK, 0, mid, rc, props, version)


def pubrec(mid, rc=None, props=None, version=4):
    return _ack(PUBREC, 0, mid, rc, props, version)


def pubrel(mid, rc=None, props=None, version=4, flags=0x2):
    """PUBREL; its fixed-header flags must be 0b0010 [MQTT-3.6.1-1]."""
    return _ack(PUBREL, flags, mid, rc, props, version)


def pubcomp(mid, rc=None, props=None, version=4):
    return _ack(PUBCOMP, 0, mid, rc, props, version)


def sub_options(qos=0, nl=False, rap=False, rh=0):
    """The MQTT 5 Subscription Options byte (section 3.8.3.1)."""
    return qos | (0x04 if nl else 0) | (0x08 if rap else 0) | (rh << 4)


def subscribe(mid, topics, qos=0, props=None, version=4, flags=0x2):
    """SUBSCRIBE (section 3.8). `topics` is a filter, or a list of filters or
    of (filter, options) pairs; options is the requested QoS in 3.x and the
    options byte (see sub_options()) in 5. Flags must be 0b0010 [MQTT-3.8.1-1]."""
    if isinstance(topics, (str, bytes)):
        topics = [topics]
    body = u16(mid)
    if version == 5:
        body += encode_props(props)
    for t in topics:
        filt, opts = (t, qos) if isinstance(t, (str, bytes)) else t
        body += utf8(filt) + u8(opts)
    return frame(SUBSCRIBE, flags, body)


def suback(mid, codes, props=None, version=4):
    body = u16(mid) + (encode_props(props) if version == 5 else b"")
    return frame(SUBACK, 0, body + bytes(codes))


def unsubscribe(mid, filters, props=None, version=4, flags=0x2):
    if isinstance(filters, (str, bytes)):
        filters = [filters]
    body = u16(mid) + (encode_props(props) if version == 5 else b"")
    for f in filters:
        body += utf8(f)
    return frame(UNSUBSCRIBE, flags, body)


def unsuback(mid, codes=(), props=None, version=4):
    body = u16(mid)
    if version == 5:
        body += encode_props(props) + bytes(codes)
    return frame(UNSUBACK, 0, body)


def pingreq():
    return frame(PINGREQ, 0, b"")


def pingresp():
    return frame(PINGRESP, 0, b"")


def disconnect(rc=None, props=None, version=4):
    """DISCONNECT; in 5 the reason code (and properties) are sent when given."""
    body = b""
    if version == 5 and (rc is not None or props):
        body = u8(rc or 0) + (encode_props(props) if props else b"")
    return frame(DISCONNECT, 0, body)


def auth(rc=0, props=None):
    return frame(AUTH, 0, u8(rc) + encode_props(props))


# --- parser -------------------------------------------------------------

def frame_length(buf):
    """Length of the first complete packet in buf, or None when more bytes
    are needed. Raises MalformedError for a remaining length over 4 bytes."""
    mult, value = 1, 0
    for i in range(1, 5):
        if len(buf) <= i:
            return None
        byte = buf[i]
        value += (byte & 0x7F) * mult
        if not byte & 0x80:
            total = 1 + i + value
            return total if len(buf) >= total else None
        mult *= 128
    raise MalformedError("remaining length longer than 4 bytes")


class Reader:
    """Reads MQTT fields from one packet body; raises MalformedError past the end."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def left(self):
        return len(self.data) - self.pos

    def take(self, n):
        if self.left() < n:
            raise MalformedError("packet ends inside a field")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("!H", self.take(2))[0]

    def u32(self):
        return struct.unpack("!I", self.take(4))[0]

    def varint(self):
        mult, value = 1, 0
        for _ in range(4):
            byte = self.u8()
            value += (byte & 0x7F) * mult
            if not byte & 0x80:
                return value
            mult *= 128
        raise MalformedError("variable byte integer longer than 4 bytes")

    def binary(self):
        return self.take(self.u16())

    def utf8(self):
        try:
            return self.binary().decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedError("bad UTF-8: %s" % e)

    def rest(self):
        return self.take(self.left())

    def props(self):
        end = self.varint()
        sub = Reader(self.take(end))
        out = {}
        while sub.left():
            pid = sub.varint()
            if pid not in PROP_BY_ID:
                raise MalformedError("unknown property 0x%02x" % pid)
            name, kind = PROP_BY_ID[pid]
            value = _read_prop(sub, kind)
            if name in REPEATABLE:
                out.setdefault(name, []).append(value)
            elif name in out:
                raise MalformedError("property %s twice" % name)
            else:
                out[name] = value
        return out


def _read_prop(r, kind):
    if kind == "byte":
        return r.u8()
    if kind == "u16":
        return r.u16()
    if kind == "u32":
        return r.u32()
    if kind == "varint":
        return r.varint()
    if kind == "utf8":
        return r.utf8()
    if kind == "bin":
        return r.binary()
    return (r.utf8(), r.utf8())


class Packet:
    """One decoded packet; see the module comment for the attributes."""

    def __init__(self, ptype, flags, raw):
        self.type = ptype
        self.name = NAMES.get(ptype, "RESERVED(%d)" % ptype)
        self.flags = flags
        self.raw = raw
        self.props = {}

    def __repr__(self):
        fields = {k: v for k, v in vars(self).items() if k not in ("type", "name", "raw")}
        if fields.get("props") == {}:
            del fields["props"]
        if isinstance(fields.get("payload"), bytes) and len(fields["payload"]) > 64:
            fields["payload"] = fields["payload"][:64] + b"..."
        inner = ", ".join("%s=%r" % kv for kv in fields.items())
        return "%s(%s)" % (self.name, inner)


def decode(data, version=4):
    """Decodes one complete packet (fixed header included). `version` is the
    protocol level of the connection (CONNECT carries its own)."""
    r = Reader(data)
    first = r.u8()
    length = r.varint()
    if r.left() != length:
        raise MalformedError("remaining length %d but %d bytes" % (length, r.left()))
    p = Packet(first >> 4, first & 0x0F, data)
    body = Reader(r.rest())
    handler = _DECODERS.get(p.type)
    if handler:
        handler(p, body, version)
    if body.left():
        raise MalformedError("%d bytes left over in %s" % (body.left(), p.name))
    return p


def _dec_connect(p, r, _version):
    p.proto_name = r.utf8()
    p.version = r.u8()
    f = r.u8()
    p.connect_flags = f
    p.clean = bool(f & 0x02)
    p.keepalive = r.u16()
    if p.version == 5:
        p.props = r.props()
    p.client_id = r.utf8()
    p.will_topic = p.will_payload = p.username = p.password = None
    p.will_qos, p.will_retain, p.will_props = (f >> 3) & 3, bool(f & 0x20), {}
    if f & 0x04:
        if p.version == 5:
            p.will_props = r.props()
        p.will_topic = r.utf8()
        p.will_payload = r.binary()
    if f & 0x80:
        p.username = r.utf8()
    if f & 0x40:
        p.password = r.binary()


def _dec_connack(p, r, version):
    p.session_present = bool(r.u8() & 0x01)
    p.rc = r.u8()
    if version == 5 and r.left():
        p.props = r.props()


def _dec_publish(p, r, version):
    p.dup, p.qos, p.retain = bool(p.flags & 0x08), (p.flags >> 1) & 3, bool(p.flags & 1)
    p.topic = r.utf8()
    p.mid = r.u16() if p.qos else None
    if version == 5:
        p.props = r.props()
    p.payload = r.rest()


def _dec_ack(p, r, version):
    p.mid = r.u16()
    p.rc = 0
    if version == 5 and r.left():
        p.rc = r.u8()
        if r.left():
            p.props = r.props()


def _dec_subscribe(p, r, version):
    p.mid = r.u16()
    if version == 5:
        p.props = r.props()
    p.topics = []
    while r.left():
        p.topics.append((r.utf8(), r.u8()))


def _dec_suback(p, r, version):
    p.mid = r.u16()
    if version == 5:
        p.props = r.props()
    p.codes = list(r.rest())


def _dec_unsubscribe(p, r, version):
    p.mid = r.u16()
    if version == 5:
        p.props = r.props()
    p.filters = []
    while r.left():
        p.filters.append(r.utf8())


def _dec_unsuback(p, r, version):
    p.mid = r.u16()
    p.codes = []
    if version == 5:
        p.props = r.props()
        p.codes = list(r.rest())


def _dec_disconnect(p, r, version):
    p.rc = 0
    if version == 5 and r.left():
        p.rc = r.u8()
        if r.left():
            p.props = r.props()


_DECODERS = {
    CONNECT: _dec_connect, CONNACK: _dec_connack, PUBLISH: _dec_publish,
    PUBACK: _dec_ack, PUBREC: _dec_ack, PUBREL: _dec_ack, PUBCOMP: _dec_ack,
    SUBSCRIBE: _dec_subscribe, SUBACK: _dec_suback, UNSUBSCRIBE: _dec_unsubscribe,
    UNSUBACK: _dec_unsuback, DISCONNECT: _dec_disconnect, AUTH: _dec_disconnect,
}


def type_of(name_or_type):
    """PUBLISH, "PUBLISH" or "publish" -> 3."""
    if isinstance(name_or_type, int):
        return name_or_type
    return TYPES[name_or_type.upper()]


# --- plain-socket helpers (the Client class in client.py does more) ---------

def read_packet(sock, timeout, version=4, buf=None):
    """Reads one whole packet from sock within timeout seconds (not scaled).
    buf (a bytearray) carries bytes read past the packet between calls.
    Returns a Packet, or None on timeout; raises EOFError when sock closes."""
    buf = bytearray() if buf is None else buf
    deadline = time.monotonic() + timeout
    while True:
        n = frame_length(buf)
        if n is not None:
            raw = bytes(buf[:n])
            del buf[:n]
            return decode(raw, version)
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        data = sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        buf += data


def expect_packet(sock, ptype, timeout=5.0, version=4, buf=None):
    """read_packet() that must return a packet of ptype (int or name)."""
    p = read_packet(sock, timeout, version, buf)
    want = type_of(ptype)
    if p is None:
        raise AssertionError("no %s within %.1fs" % (NAMES[want], timeout))
    if p.type != want:
        raise AssertionError("expected %s, got %r" % (NAMES[want], p))
    return p
