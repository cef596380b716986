#!/usr/bin/python3
"""A temperature sensor: publishes a random reading to an MQTT topic every
few seconds, at QoS 2 by default, and prints each reading once the broker has
confirmed it.

    /usr/bin/python3 sensor.py --port 61613 -u admin -P PASSWORD
    /usr/bin/python3 sensor.py --count 5 --interval 0.5 -t lab/temperature

Works with paho-mqtt 1.6 (Debian's python3-paho-mqtt) and paho-mqtt 2.x.
Unlike the classic tutorial's sensor, it runs paho's network loop while it
publishes (loop_start), so the QoS 1/2 handshakes complete, and it checks
the broker's answer to CONNECT.

Exit status: 0 done (--count readings sent, or Ctrl-C); 1 no connection, or
a reading not confirmed in time; 2 bad arguments; 3 the broker refused the
connection (the reason is printed).
"""

import argparse
import os
import random
import sys
import threading
import time

try:
    import paho.mqtt.client as mqtt
except ImportError:
    sys.exit("sensor: paho-mqtt is missing (Debian: apt-get install python3-paho-mqtt)")

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
# Publish refusals an MQTT 5 broker may give in PUBACK / PUBREC.
PUBLISH_REASONS = {0x80: "unspecified error", 0x83: "implementation specific error",
                   0x87: "not authorized", 0x90: "topic name invalid",
                   0x91: "packet identifier in use", 0x97: "quota exceeded",
                   0x99: "payload format invalid"}


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
        add_help=False,  # -h is the host, as in mosquitto_pub
        description="Publish a random temperature reading every few seconds.",
        epilog="Exit status: 0 done, 1 connection or delivery failure, 2 bad arguments, "
               "3 connection refused by the broker.")
    p.add_argument("--help", action="help", help="show this help and exit")
    p.add_argument("-h", "--host", default="localhost", help="broker host (default localhost)")
    p.add_argument("-p", "--port", type=int, default=1883, help="broker port (default 1883)")
    p.add_argument("-u", "--username", help="user name")
    p.add_argument("-P", "--password", help="password")
    p.add_argument("-t", "--topic", default="temperature", help="topic (default temperature)")
    p.add_argument("-q", "--qos", type=int, choices=(0, 1, 2), default=2,
                   help="QoS of each reading (default 2)")
    p.add_argument("-i", "--client-id",
                   help="client id (default sensor- and a random suffix)")
    p.add_argument("--interval", type=float, default=2.0,
                   help="seconds between readings (default 2)")
    p.add_argument("-C", "--count", type=int, default=0,
                   help="stop after this many readings (default: run until Ctrl-C)")
    p.add_argument("-V", "--mqtt-version", choices=sorted(PROTOCOLS), default="311",
                   help="MQTT version: 31, 311 or 5 (default 311)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds to wait for the broker's answers (default 30)")
    a = p.parse_args(argv)
    if a.interval < 0 or a.count < 0 or a.timeout <= 0:
        p.error("--interval and --count must not be negative, --timeout must be positive")
    if a.password is not None and a.username is None:
        p.error("-P/--password needs -u/--username")
    return a


class Sensor:
    def __init__(self, args):
        self.args = args
        self.protocol = PROTOCOLS[args.mqtt_version]
        self.client_id = args.client_id or "sensor-" + os.urandom(3).hex()
        self.connack = None                # the CONNACK code once it arrived
        self.connected = threading.Event()
        self.refusals = {}                 # mid -> MQTT 5 PUBACK/PUBREC refusal
        self.stopping = False
        c = self.client = make_client(self.client_id, self.protocol)
        if args.username is not None:
            c.username_pw_set(args.username, args.password)
        c.on_connect = self.on_connect
        c.on_disconnect = self.on_disconnect
        c.on_publish = self.on_publish

    # Callbacks run on paho's network thread.
    def on_connect(self, client, userdata, flags, code, properties=None):
        self.connack = code
        self.connected.set()

    def on_disconnect(self, client, userdata, *args):
        # paho 1.6: (rc) or (rc, properties); paho 2.x: (flags, reason, properties).
        code = code_value(args[1] if len(args) == 3 else args[0])
        if code != 0 and not self.stopping and code_value(self.connack) == 0:
            print("sensor: connection lost (%s); paho reconnects" % code, file=sys.stderr)

    def on_publish(self, client, userdata, mid, code=None, properties=None):
        # paho 2.x passes the MQTT 5 PUBACK/PUBREC reason code; 1.6 does not.
        if code is not None and code_value(code) >= 0x80:
            self.refusals[mid] = code_value(code)

    def connect(self):
        """Connects and waits for CONNACK; returns an exit status (0 = go on)."""
        a = self.args
        try:
            self.client.connect(a.host, a.port, keepalive=60)
        except (OSError, ValueError) as e:
            print("sensor: cannot connect to %s:%d: %s" % (a.host, a.port, e), file=sys.stderr)
            return 1
        self.client.loop_start()
        if not self.connected.wait(a.timeout):
            print("sensor: no answer (CONNACK) from %s:%d within %gs"
                  % (a.host, a.port, a.timeout), file=sys.stderr)
            return 1
        if code_value(self.connack) != 0:
            print("sensor: %s:%d refused the connection: %s"
                  % (a.host, a.port, explain_connack(self.connack, self.protocol)),
                  file=sys.stderr)
            return 3
        print("sensor: connected to %s:%d as %s" % (a.host, a.port, self.client_id),
              file=sys.stderr)
        return 0

    def publish_one(self):
        """Publishes one reading and waits for the broker to confirm it.
        Returns True when confirmed (and prints `topic payload`)."""
        a = self.args
        reading = "%.1f" % random.uniform(15.0, 30.0)
        try:
            info = self.client.publish(a.topic, reading, qos=a.qos)
            info.wait_for_publish(a.timeout)
        except (ValueError, RuntimeError) as e:
            print("sensor: reading %s not sent: %s" % (reading, e), file=sys.stderr)
            return False
        if not info.is_published():
            print("sensor: reading %s not confirmed by the broker within %gs"
                  % (reading, a.timeout), file=sys.stderr)
            return False
        if info.mid in self.refusals:
            n = self.refusals.pop(info.mid)
            print("sensor: the broker refused reading %s: %s (reason code 0x%02X)"
                  % (reading, PUBLISH_REASONS.get(n, "unknown reason"), n), file=sys.stderr)
            return False
        print("%s %s" % (a.topic, reading), flush=True)
        return True

    def run(self):
        """Publishes until --count readings are sent; returns the exit status."""
        status = self.connect()
        sent = 0
        while status == 0 and (self.args.count == 0 or sent < self.args.count):
            if sent:
                time.sleep(self.args.interval)
            if not self.publish_one():
                status = 1
            sent += 1
        self.stop()
        return status

    def stop(self):
        self.stopping = True
        self.client.disconnect()
        self.client.loop_stop()


def main(argv=None):
    sensor = Sensor(parse_args(argv))
    try:
        return sensor.run()
    except KeyboardInterrupt:
        sensor.stop()
        return 0


if __name__ == "__main__":
    sys.exit(main())
