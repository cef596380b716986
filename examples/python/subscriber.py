#!/usr/bin/python3
"""A subscriber: prints `topic payload`, one line per message, for every
message on a topic (default `temperature`, where sensor.py publishes).

    /usr/bin/python3 subscriber.py --port 61613 -u admin -P PASSWORD
    /usr/bin/python3 subscriber.py -t 'sensors/#' --count 10

Works with paho-mqtt 1.6 (Debian's python3-paho-mqtt) and paho-mqtt 2.x.
It subscribes again after each reconnection, checks the broker's answers to
CONNECT and SUBSCRIBE, and says in words why it was refused. Progress goes
to stderr; stdout carries only the messages.

Exit status: 0 done (--count messages printed, or Ctrl-C); 1 no connection;
2 bad arguments; 3 the broker refused the connection; 4 the broker refused
the subscription (the reason is printed).
"""

import argparse
import os
import sys

try:
    import paho.mqtt.client as mqtt
except ImportError:
    sys.exit("subscriber: paho-mqtt is missing (Debian: apt-get install python3-paho-mqtt)")

PROTOCOLS = {"31": mqtt.MQTTv31, "311": mqtt.MQTTv311, "5": mqtt.MQTTv5}

# CONNACK refusals: MQTT 3.1/3.1.1 return codes 1-5, MQTT 5 reason codes
# from 0x80. The two ranges do not overlap, so one table serves both.
CONNACK_REASONS = {
    1: "unacceptable protocol version", 2: "client identifier rejected",
    3: "server unavailable", 4: "bad user name or password", 5: "not authorized",
    0x80: "unspecified error", 0x81: "malformed packet", 0x82: "protocol error",
    0x83: "implementation specific error", 0x84: "unsupported protocol version",
    0x85: "client identifier not valid", 0x86: "bad user name or password",
    0x87: "not authorized", 0x88: "server unavailable", 0x89: "server busy",
    0x8A: "banned", 0x8C: "bad authentication method", 0x95: "packet too large",
    0x97: "quota exceeded", 0x9C: "use another server", 0x9D: "server moved",
    0x9F: "connection rate exceeded",
}
# paho 2.x reports a 3.1.1 refusal as the matching MQTT 5 reason code;
# this maps it back to the code that was on the wire.
V5_TO_V3 = {0x84: 1, 0x85: 2, 0x88: 3, 0x86: 4, 0x87: 5}
# SUBACK failures. MQTT 3.1.1 has only 0x80, which brokers send for a topic
# filter the ACL denies; MQTT 5 says why.
SUBACK_REASONS = {
    0x80: "unspecified error", 0x83: "implementation specific error",
    0x87: "not authorized", 0x8F: "topic filter invalid",
    0x91: "packet identifier in use", 0x97: "quota exceeded",
    0x9E: "shared subscriptions not supported",
    0xA1: "subscription identifiers not supported",
    0xA2: "wildcard subscriptions not supported",
}


def code_value(code):
    """The number in a paho result code: an int (paho 1.6, MQTT 3.1.1) or a
    ReasonCode(s) object (MQTT 5, and every protocol in paho 2.x)."""
    return getattr(code, "value", code)


def explain_connack(code, protocol):
    """'bad user name or password (CONNACK code 4)' and the like."""
    n = code_value(code)
    if protocol != mqtt.MQTTv5:
        n = V5_TO_V3.get(n, n)
        return "%s (CONNACK code %d)" % (CONNACK_REASONS.get(n, "unknown reason"), n)
    return "%s (CONNACK reason code 0x%02X)" % (CONNACK_REASONS.get(n, "unknown reason"), n)


def explain_suback(n, protocol):
    if protocol != mqtt.MQTTv5 and n == 0x80:
        return "refused (SUBACK code 0x80; usually the ACL does not allow it)"
    return "%s (SUBACK reason code 0x%02X)" % (SUBACK_REASONS.get(n, "unknown reason"), n)


def make_client(client_id, protocol):
    """A paho Client for either paho generation: 2.x needs the callback API
    version; the callbacks below accept both generations' arguments."""
    kw = {"client_id": client_id, "protocol": protocol}
    if protocol != mqtt.MQTTv5:
        kw["clean_session"] = True
    api = getattr(mqtt, "CallbackAPIVersion", None)
    if api is not None:
        kw["callback_api_version"] = api.VERSION2
    return mqtt.Client(**kw)


def parse_args(argv):
    p = argparse.ArgumentParser(
        add_help=False,  # -h is the host, as in mosquitto_sub
        description="Print every message on a topic as `topic payload`.",
        epilog="Exit status: 0 done, 1 no connection, 2 bad arguments, 3 connection "
               "refused by the broker, 4 subscription refused.")
    p.add_argument("--help", action="help", help="show this help and exit")
    p.add_argument("-h", "--host", default="localhost", help="broker host (default localhost)")
    p.add_argument("-p", "--port", type=int, default=1883, help="broker port (default 1883)")
    p.add_argument("-u", "--username", help="user name")
    p.add_argument("-P", "--password", help="password")
    p.add_argument("-t", "--topic", default="temperature",
                   help="topic filter, wildcards allowed (default temperature)")
    p.add_argument("-q", "--qos", type=int, choices=(0, 1, 2), default=2,
                   help="QoS to subscribe with (default 2: each message exactly once)")
    p.add_argument("-i", "--client-id",
                   help="client id (default subscriber- and a random suffix)")
    p.add_argument("-C", "--count", type=int, default=0,
                   help="exit after this many messages (default: run until Ctrl-C)")
    p.add_argument("-V", "--mqtt-version", choices=sorted(PROTOCOLS), default="311",
                   help="MQTT version: 31, 311 or 5 (default 311)")
    a = p.parse_args(argv)
    if a.count < 0:
        p.error("--count must not be negative")
    if a.password is not None and a.username is None:
        p.error("-P/--password needs -u/--username")
    return a


class Subscriber:
    def __init__(self, args):
        self.args = args
        self.protocol = PROTOCOLS[args.mqtt_version]
        self.client_id = args.client_id or "subscriber-" + os.urandom(3).hex()
        self.received = 0
        self.status = 0
        c = self.client = make_client(self.client_id, self.protocol)
        if args.username is not None:
            c.username_pw_set(args.username, args.password)
        c.on_connect = self.on_connect
        c.on_subscribe = self.on_subscribe
        c.on_message = self.on_message
        c.on_disconnect = self.on_disconnect

    def where(self):
        return "%s:%d" % (self.args.host, self.args.port)

    def fail(self, status, text):
        """Reports text, remembers the exit status and ends loop_forever()."""
        print("subscriber: " + text, file=sys.stderr)
        self.status = status
        self.client.disconnect()

    # Callbacks run inside loop_forever().
    def on_connect(self, client, userdata, flags, code, properties=None):
        if code_value(code) != 0:
            self.fail(3, "%s refused the connection: %s"
                      % (self.where(), explain_connack(code, self.protocol)))
            return
        print("subscriber: connected to %s as %s" % (self.where(), self.client_id),
              file=sys.stderr)
        # Subscribing here renews the subscription after every reconnection.
        client.subscribe(self.args.topic, self.args.qos)

    def on_subscribe(self, client, userdata, mid, granted, properties=None):
        codes = [code_value(g) for g in granted]
        if codes[0] >= 0x80:
            self.fail(4, "subscription to %s %s"
                      % (self.args.topic, explain_suback(codes[0], self.protocol)))
            return
        print("subscriber: subscribed to %s (QoS %d)" % (self.args.topic, codes[0]),
              file=sys.stderr, flush=True)

    def on_message(self, client, userdata, msg):
        print("%s %s" % (msg.topic, msg.payload.decode("utf-8", "replace")), flush=True)
        self.received += 1
        if self.args.count and self.received >= self.args.count:
            client.disconnect()

    def on_disconnect(self, client, userdata, *args):
        # paho 1.6: (rc) or (rc, properties); paho 2.x: (flags, reason, properties).
        code = code_value(args[1] if len(args) == 3 else args[0])
        if code != 0 and self.status == 0:
            print("subscriber: connection lost (%s); reconnecting" % code, file=sys.stderr)

    def run(self):
        """Connects and prints messages; returns the exit status."""
        try:
            self.client.connect(self.args.host, self.args.port, keepalive=60)
        except (OSError, ValueError) as e:
            print("subscriber: cannot connect to %s: %s" % (self.where(), e), file=sys.stderr)
            return 1
        try:
            self.client.loop_forever()
        except KeyboardInterrupt:
            self.client.disconnect()
        return self.status


def main(argv=None):
    return Subscriber(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
