#!/usr/bin/python3
"""07-malformed-framing: bytes that are not MQTT, or not MQTT yet. Each bad
connection is closed (or, for a half-sent CONNECT, simply not served) while a
client connected at the same time keeps working and receives its messages.

[MQTT-4.8.0-1] (3.1.1 section 4.8): on a malformed packet or protocol
violation the Server closes the connection; 2.2.3: the remaining length has
at most 4 bytes; [MQTT-3.1.2-1]: an unknown protocol name may be closed."""

from lib import packets as P
from lib.broker import Broker
from lib.bystander import Bystander
from lib.client import Client
from lib.testing import case, main


def closes(b, data, allow=("CONNACK", "DISCONNECT"), version=4, connect_first=False):
    c = Client(b, version=version)
    if connect_first:
        c.connect("bad-client")
    c.send(data)
    seen = c.expect_closed(allow=allow)
    for p in seen:
        if p.name in ("CONNACK", "DISCONNECT"):
            assert p.rc != 0, p
    return seen


@case
def garbage_bytes():
    with Broker() as b:
        by = Bystander(b)
        for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00" * 16, b"\xff" * 64,
                     bytes(range(256)), b"\x10\x00", b"\x20\x02\x00\x00"):
            closes(b, junk)
            by.check()


@case
def five_byte_remaining_length():
    with Broker() as b:
        by = Bystander(b)
        closes(b, b"\x10\xff\xff\xff\xff\x7f")
        by.check()
        for v in (4, 5):
            closes(b, b"\x30\x80\x80\x80\x80\x01" + b"\x00" * 8, version=v, connect_first=True)
            by.check()


@case
def wrong_protocol_name():
    with Broker() as b:
        by = Bystander(b)
        for name in (b"MQTX", b"", b"MQTT\x00", b"HTTP"):
            closes(b, P.connect("pn", version=4, proto_name=name))
            by.check()


@case
def remaining_length_disagrees_with_content():
    with Broker() as b:
        by = Bystander(b)
        good = P.connect("rl", version=4)
        # Declared body longer than the fields: the client id length runs past.
        closes(b, good[:1] + bytes([good[1] - 3]) + good[2:-3])
        by.check()
        # A CONNECT whose strings run past the remaining length.
        body = P.utf8("MQTT") + b"\x04\x02\x00\x3c" + P.u16(50) + b"short"
        closes(b, P.frame(P.CONNECT, 0, body))
        by.check()


@case
def truncated_connect_then_silence():
    # Half a CONNECT and nothing more: the broker waits for the rest (Petrel
    # closes it after connect_timeout, see 09-keepalive-connect-timeout);
    # meanwhile everyone else is served, and the half-open client gets nothing.
    with Broker() as b:
        by = Bystander(b)
        halves = []
        for v in (3, 4, 5):
            full = P.connect("half%d" % v, version=v, username="u", password=b"p")
            c = Client(b, version=v)
            c.send(full[: len(full) // 2])
            halves.append(c)
        by.check()
        for c in halves:
            assert c.try_recv(0.2) is None
        by.check()
        for c in halves:
            c.close()
        by.check()


@case
def many_bad_connections_at_once():
    with Broker() as b:
        by = Bystander(b)
        bad = [Client(b, name="bad%d" % i) for i in range(20)]
        for i, c in enumerate(bad):
            c.send(bytes([(i * 37) % 256]) * (i + 3) + b"\xff\xff\xff\xff\xff")
        by.check()
        for c in bad:
            c.expect_closed(allow=("CONNACK", "DISCONNECT"))
        by.check()


main()
