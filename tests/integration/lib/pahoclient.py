"""paho-mqtt (Debian python3-paho-mqtt 1.6) as a test peer, with bounded waits.

    with pahoclient.Client(b, "p1", version=5) as p:
        p.subscribe("t", qos=2)
        p.publish("t", b"x", qos=2)
        m = p.message()              # paho MQTTMessage: topic, payload, qos, retain

paho's network thread (loop_start) is stopped when the block ends; automatic
reconnection is off, so a broker-side close stays closed.

MQTT 5 properties go in as dicts of paho's attribute names, e.g.
connect_props={"SessionExpiryInterval": 60}, will_props={"WillDelayInterval": 2};
the CONNACK's come back in p.connack_props (a paho Properties object) and a
broker's DISCONNECT in p.disconnect_event() -> (reason code, properties).
MQTT 5 properties are dicts keyed by paho's property names, e.g.
{"ResponseTopic": "r", "UserProperty": [("k", "v")]}; props() builds them.
Received messages keep paho's `properties` object (absent attributes are
properties that were not sent).
"""

import queue
import time

from . import env, testing

try:
    import paho.mqtt.client as mqtt
    from paho.mqtt.properties import Properties
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.subscribeoptions import SubscribeOptions
except ImportError:  # checked by require()
    mqtt = None


def props(packet, values):
    """A paho Properties for packet ("CONNECT", "PUBLISH", "SUBSCRIBE", ...)
    from a dict of property names to values (None or {} gives None)."""
    if not values:
        return None
    p = Properties(getattr(PacketTypes, packet))
    for k, v in values.items():
        setattr(p, k, v)
    return p


def prop(msg, name, default=None):
    """A property of a received message, or default when it was not sent."""
    p = getattr(msg, "properties", None)
    return getattr(p, name, default) if p is not None else default


def require():
    if mqtt is None:
        testing.skip("python3-paho-mqtt not installed")


class Client:
    """A paho client; version 3 (3.1), 4 (3.1.1) or 5. Connects on creation
    unless connect=False (then call connect())."""

    def __init__(self, broker, client_id="", version=4, clean=True, keepalive=60,
                 username=None, password=None, will=None, session_expiry=None, connect=True,
                 connect_props=None, will_props=None, properties=None):
        require()
        proto = {3: mqtt.MQTTv31, 4: mqtt.MQTTv311, 5: mqtt.MQTTv5}[version]
        self.broker, self.version, self.clean = broker, version, clean
        self.keepalive, self.session_expiry = keepalive, session_expiry
        # connect_props and properties are the same thing (two spellings).
        self.connect_props = dict(connect_props or properties or {})
        self.connack_props = None
        self.events = queue.Queue()
        self.messages_q = queue.Queue()
        self.c = mqtt.Client(client_id=client_id, protocol=proto,
                             clean_session=clean if version < 5 else None,
                             reconnect_on_failure=False)
        if username is not None:
            self.c.username_pw_set(username, password)
        if will:
            self.c.will_set(will["topic"], will.get("payload"), will.get("qos", 0),
                            will.get("retain", False),
                            properties=props_of(PacketTypes.WILLMESSAGE, will_props))
        self.c.on_connect = self._on_connect
        self.c.on_subscribe = lambda c, u, mid, granted, *props: self.events.put(
            ("subscribe", mid, granted))
        self.c.on_unsubscribe = lambda c, u, mid, *rest: self.events.put(
            ("unsubscribe", mid, rest[1] if len(rest) > 1 else None))
        self.c.on_message = lambda c, u, msg: self.messages_q.put(msg)
        self.c.on_disconnect = lambda c, u, rc, *props: self.events.put(
            ("disconnect", rc, props[0] if props else None))
        self.started = False
        if connect:
            self.connect()

    def _on_connect(self, c, u, flags, rc, props=None):
        self.connack_props = props
        self.events.put(("connect", flags, rc))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _event(self, kind, timeout=5, mid=None):
        deadline = time.monotonic() + env.scaled(timeout)
        while True:
            try:
                e = self.events.get(timeout=max(0.001, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("paho: no %s within %.1fs" % (kind, env.scaled(timeout)))
            if e[0] == kind and (mid is None or e[1] == mid):
                return e

    def connect(self, expect_rc=0):
        """Connects (bounded wait); returns (flags, rc)."""
        kw = {}
        if self.version == 5:
            kw["clean_start"] = self.clean
            props = dict(self.connect_props)
            if self.session_expiry is not None:
                props["SessionExpiryInterval"] = self.session_expiry
            if props:
                kw["properties"] = props_of(PacketTypes.CONNECT, props)
        self.c.connect(self.broker.host, self.broker.port, self.keepalive, **kw)
        self.c.loop_start()
        self.started = True
        _, flags, rc = self._event("connect", timeout=10)
        if expect_rc is not None and rc != expect_rc:
            raise AssertionError("paho: CONNACK code %r, expected %r" % (rc, expect_rc))
        return flags, rc

    def subscribe(self, topic, qos=0, no_local=False, rap=False, rh=0, properties=None):
        """SUBSCRIBE; v5 takes the subscription options and properties (e.g.
        {"SubscriptionIdentifier": 3}). Returns paho's granted list."""
        if self.version == 5:
            opts = SubscribeOptions(qos=qos, noLocal=no_local, retainAsPublished=rap,
                                    retainHandling=rh)
            result, mid = self.c.subscribe(topic, options=opts,
                                           properties=props("SUBSCRIBE", properties))
        else:
            result, mid = self.c.subscribe(topic, qos)
        assert result == mqtt.MQTT_ERR_SUCCESS, "paho subscribe: %s" % result
        return self._event("subscribe", mid=mid)[2]

    def unsubscribe(self, topic):
        """UNSUBSCRIBE; returns the v5 reason codes (None before v5)."""
        result, mid = self.c.unsubscribe(topic)
        assert result == mqtt.MQTT_ERR_SUCCESS, "paho unsubscribe: %s" % result
        return self._event("unsubscribe", mid=mid)[2]

    def publish(self, topic, payload, qos=0, retain=False, timeout=10, properties=None):
        """Publishes and waits (bounded) until paho reports it complete;
        properties: a dict of v5 PUBLISH properties."""
        info = self.c.publish(topic, payload, qos, retain,
                              properties=props("PUBLISH", properties))
        info.wait_for_publish(env.scaled(timeout))
        if not info.is_published():
            raise AssertionError("paho: publish on %s not complete within %.0fs"
                                 % (topic, env.scaled(timeout)))
        return info

    def disconnect_event(self, timeout=5):
        """Waits for paho's on_disconnect; returns (reason code, properties)
        (properties None when the broker just closed)."""
        e = self._event("disconnect", timeout=timeout)
        return e[1], e[2]

    def message(self, timeout=5):
        try:
            return self.messages_q.get(timeout=env.scaled(timeout))
        except queue.Empty:
            raise AssertionError("paho: no message within %.1fs" % env.scaled(timeout))

    def messages(self, n, timeout=10):
        deadline = time.monotonic() + env.scaled(timeout)
        return [self.message(max(0.01, (deadline - time.monotonic()) / env.SCALE))
                for _ in range(n)]

    def expect_none(self, duration=0.5):
        try:
            m = self.messages_q.get(timeout=env.scaled(duration))
        except queue.Empty:
            return
        raise AssertionError("paho: expected no message, got %s %r" % (m.topic, m.payload))

    def disconnect(self):
        """A clean DISCONNECT, then the network thread stops."""
        if self.started:
            self.c.disconnect()
            self.close()

    def close(self):
        if self.started:
            self.started = False
            self.c.loop_stop()
            try:
                self.c.socket() and self.c.socket().close()
            except OSError:
                pass


def props_of(packet_type, values):
    """A paho Properties object for packet_type from {attribute name: value};
    None when values is empty."""
    if not values:
        return None
    p = Properties(packet_type)
    for name, value in values.items():
        setattr(p, name, value)
    return p
