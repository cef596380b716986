#!/usr/bin/python3
"""13-cli-raw: the client side of the protocol against a broker played by
the test byte by byte: QoS 2 redelivery before PUBREL (not printed twice),
an unanswered PINGREQ, acknowledgements for unknown ids, malformed input,
v5 CONNACK limits (Receive Maximum, Server Keep Alive) and reason strings.
No broker process is started; these run the same in mosquitto mode."""
# timeout: 90

import struct

from cli_support import (EXIT_OK, EXIT_PROTOCOL, EXIT_REFUSED, FakeBroker, Tool, case, eq,
                         main)

CONNACK_V3 = bytes([0x20, 2, 0, 0])
CONNACK_V5 = bytes([0x20, 3, 0, 0, 0])
PINGREQ, DISCONNECT = 0xC0, 0xE0


def publish(topic, payload, qos, pid, dup=False):
    t = topic.encode()
    body = struct.pack("!H", len(t)) + t + struct.pack("!H", pid) + payload
    return bytes([0x30 | (qos << 1) | (8 if dup else 0), len(body)]) + body


def ack(kind, pid):
    first = {"PUBACK": 0x40, "PUBREC": 0x50, "PUBREL": 0x62, "PUBCOMP": 0x70}[kind]
    return bytes([first, 2]) + struct.pack("!H", pid)


def subscribed(fb, granted=0):
    """Answers CONNECT and the SUBSCRIBE (packet id 1) of a 3.1.1 petrel-sub."""
    fb.accept()
    fb.expect(0x10)
    fb.send(CONNACK_V3)
    fb.expect(0x82)
    fb.send(bytes([0x90, 3, 0, 1, granted]))


@case
def qos2_redelivery_printed_once():
    # [MQTT-4.3.3-10] a PUBLISH with an id awaiting PUBREL gets PUBREC again
    # and is not delivered twice; after PUBCOMP the id is new again.
    with FakeBroker() as fb:
        sub = Tool("petrel-sub", ["-t", "t", "-q", "2", "-v", "-C", "2"], fb)
        subscribed(fb, granted=2)
        fb.send(publish("t", b"one", 2, 7))
        eq(fb.expect(0x50), b"\x00\x07", "PUBREC")
        fb.send(publish("t", b"one", 2, 7, dup=True))
        eq(fb.expect(0x50), b"\x00\x07", "PUBREC again")
        fb.send(ack("PUBREL", 7))
        eq(fb.expect(0x70), b"\x00\x07", "PUBCOMP")
        fb.send(publish("t", b"two", 2, 7))
        eq(fb.expect(0x50), b"\x00\x07", "PUBREC for the new message")
        # -C 2 is reached; the exchange still finishes before DISCONNECT.
        fb.send(ack("PUBREL", 7))
        eq(fb.expect(0x70), b"\x00\x07", "PUBCOMP")
        fb.expect(DISCONNECT)
        fb.conn.close()
        eq(sub.finish(), EXIT_OK, "sub status (%s)" % sub.err)
    eq(sub.out, b"t one\nt two\n", "printed once each")


@case
def qos1_acknowledged_after_delivery():
    with FakeBroker() as fb:
        sub = Tool("petrel-sub", ["-t", "t", "-q", "1", "-C", "1"], fb)
        subscribed(fb, granted=1)
        fb.send(publish("t", b"\x00bin\x00", 1, 300))
        eq(fb.expect(0x40), b"\x01\x2c", "PUBACK")
        fb.expect(DISCONNECT)
        fb.conn.close()
        eq(sub.finish(), EXIT_OK, "sub status (%s)" % sub.err)
    eq(sub.out, b"\x00bin\x00\n", "payload bytes")


@case
def unanswered_pingreq_is_a_lost_connection():
    with FakeBroker() as fb:
        sub = Tool("petrel-sub", ["-t", "t", "-k", "1"], fb)
        subscribed(fb)
        fb.expect(PINGREQ, timeout=3)  # and never answered
        eq(sub.finish(timeout=5), EXIT_PROTOCOL, "sub status")
        assert "no answer to PINGREQ within 1 s" in sub.err, sub.err


@case
def server_keep_alive_replaces_ours():
    # [MQTT-3.2.2-21] the client uses the Server Keep Alive from CONNACK.
    with FakeBroker() as fb:
        pub = Tool("petrel-pub", ["-V", "5", "-k", "60", "-t", "t", "-l"], fb, stdin_open=True)
        fb.accept()
        fb.expect(0x10)
        fb.send(bytes([0x20, 6, 0, 0, 3, 0x13, 0, 1]))  # Server Keep Alive 1
        for _ in range(2):
            fb.expect(PINGREQ, timeout=3)
            fb.send(bytes([0xD0, 0]))
        pub.close_stdin()  # end of input: nothing was published
        fb.expect(DISCONNECT)
        fb.conn.close()
        eq(pub.finish(), EXIT_OK, "pub status (%s)" % pub.err)


@case
def receive_maximum_limits_messages_in_flight():
    # [MQTT-3.3.4-7] no more unacknowledged QoS 1 PUBLISH than the broker's
    # Receive Maximum.
    with FakeBroker() as fb:
        pub = Tool("petrel-pub", ["-V", "5", "-q", "1", "-t", "t", "-l"], fb,
                   input=b"1\n2\n3\n4\n5\n")
        fb.accept()
        fb.expect(0x10)
        fb.send(bytes([0x20, 6, 0, 0, 3, 0x21, 0, 2]))  # Receive Maximum 2
        ids = [fb.expect(0x32)[3:5] for _ in range(2)]
        for n in range(5):
            fb.expect_nothing(0.3)  # the window is full until an acknowledgement
            fb.send(bytes([0x40, 2]) + ids.pop(0))
            if n < 3:
                ids.append(fb.expect(0x32)[3:5])
        fb.expect(DISCONNECT)
        fb.conn.close()
        eq(pub.finish(), EXIT_OK, "pub status (%s)" % pub.err)


@case
def puback_for_unknown_id_is_a_protocol_error():
    with FakeBroker() as fb:
        pub = Tool("petrel-pub", ["-q", "1", "-t", "t", "-m", "x"], fb)
        fb.accept()
        fb.expect(0x10)
        fb.send(CONNACK_V3)
        body = fb.expect(0x32)
        eq(body[3:5], b"\x00\x01", "first packet id")
        fb.send(ack("PUBACK", 2))
        eq(pub.finish(), EXIT_PROTOCOL, "pub status")
        assert "PUBACK for packet id 2, which awaits none" in pub.err, pub.err


@case
def qos2_publish_full_exchange_and_repeated_pubrec():
    with FakeBroker() as fb:
        pub = Tool("petrel-pub", ["-q", "2", "-t", "t", "-m", "x"], fb)
        fb.accept()
        fb.expect(0x10)
        fb.send(CONNACK_V3)
        body = fb.expect(0x34)
        pid = struct.unpack("!H", body[3:5])[0]
        fb.send(ack("PUBREC", pid))
        eq(fb.expect(0x62), body[3:5], "PUBREL")
        fb.send(ack("PUBREC", pid))  # a repeat gets the PUBREL again
        eq(fb.expect(0x62), body[3:5], "PUBREL again")
        fb.send(ack("PUBCOMP", pid))
        fb.expect(DISCONNECT)
        fb.conn.close()
        eq(pub.finish(), EXIT_OK, "pub status (%s)" % pub.err)


@case
def connack_refusal_with_reason_string():
    with FakeBroker() as fb:
        pub = Tool("petrel-pub", ["-V", "5", "-t", "t", "-m", "x"], fb)
        fb.accept()
        fb.expect(0x10)
        fb.send(bytes([0x20, 13, 0, 0x87, 10, 0x1F, 0, 7]) + b"go away")
        eq(pub.finish(), EXIT_REFUSED, "pub status")
        assert "Connection refused: not authorized (0x87): go away" in pub.err, pub.err


@case
def malformed_input_is_a_protocol_error():
    with FakeBroker() as fb:
        sub = Tool("petrel-sub", ["-t", "t"], fb)
        subscribed(fb)
        fb.send(bytes([0x36, 5, 0, 1, ord("t"), 0, 1]))  # QoS 3 [MQTT-3.3.1-4]
        eq(sub.finish(), EXIT_PROTOCOL, "sub status")
        assert "bad packet from the broker: Malformed Packet" in sub.err, sub.err


@case
def publish_before_connack_is_a_protocol_error():
    # [MQTT-3.2.0-1] the first packet from the server is CONNACK.
    with FakeBroker() as fb:
        sub = Tool("petrel-sub", ["-t", "t"], fb)
        fb.accept()
        fb.expect(0x10)
        fb.send(publish("t", b"early", 1, 1))
        eq(sub.finish(), EXIT_PROTOCOL, "sub status")
        assert "PUBLISH before CONNACK" in sub.err, sub.err


@case
def broker_disconnect_is_reported():
    with FakeBroker() as fb:
        sub = Tool("petrel-sub", ["-V", "5", "-t", "t"], fb)
        fb.accept()
        fb.expect(0x10)
        fb.send(CONNACK_V5)
        fb.expect(0x82)
        fb.send(bytes([0xE0, 2, 0x8B, 0]))  # Server shutting down
        eq(sub.finish(), EXIT_PROTOCOL, "sub status")
        assert "the broker disconnected: Server shutting down (0x8b)" in sub.err, sub.err


main()
