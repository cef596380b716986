"""A small blocking raw MQTT client for tests. Every wait has a timeout.

    c = client.connect(b, "sensor-1", version=5)    # CONNECT + CONNACK rc 0
    c.subscribe("t/#", qos=1)                       # SUBSCRIBE + SUBACK
    c.publish("t/a", b"x", qos=2)                   # the whole QoS 2 flow
    p = c.expect_publish("t/a", b"x", qos=1)        # receive + acknowledge
    c.expect_none(0.5)                              # nothing else arrives
    c.disconnect()

Two ways to read:
  * recv()/expect(): the very next packet (strict: a test of what the broker
    sends next);
  * wait_for(): the next packet of a type (and id); others are kept, in
    order, for later recv() calls. The helpers (connect, subscribe, publish)
    use it, so a client that receives its own messages still works.
Timeouts are in seconds and stretched by env.SCALE. A timeout raises
Timeout, a closed connection Closed (both AssertionError).
"""

import collections
import select
import socket
import time

from . import env
from . import packets as P

DEFAULT_TIMEOUT = 5.0


class Timeout(AssertionError):
    pass


class Closed(AssertionError):
    pass


def _addr(target):
    return target.addr if hasattr(target, "addr") else tuple(target)


class Client:
    """One TCP connection speaking MQTT `version` (3, 4 or 5)."""

    def __init__(self, target, version=4, name=None, timeout=DEFAULT_TIMEOUT):
        self.version = version
        self.name = name or "client"
        self.timeout = timeout
        self.sock = socket.create_connection(_addr(target), timeout=env.scaled(timeout))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pending = collections.deque()
        self.closed = False
        self.connack = None
        self._mid = 0

    # --- context manager and closing ---------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Closes the socket without DISCONNECT (an abrupt close for the broker)."""
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def reset(self):
        """Closes with a TCP RST (SO_LINGER 0): the harshest abrupt close."""
        if not self.closed:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            self.close()

    # --- bytes --------------------------------------------------------------

    def send(self, *chunks):
        """Sends the concatenation of the chunks in one write."""
        self.sock.sendall(b"".join(chunks))

    def next_mid(self):
        """Packet identifiers 1..65535, wrapping."""
        self._mid = self._mid % 65535 + 1
        return self._mid

    def _fill(self, deadline):
        """Reads what is available, waiting until deadline. False on timeout."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError):
            data = b""
        if not data:
            raise Closed("%s: connection closed by the broker" % self.name)
        self.buf += data
        return True

    def _read_packet(self, deadline):
        while True:
            n = P.frame_length(self.buf)
            if n is not None:
                raw = bytes(self.buf[:n])
                del self.buf[:n]
                return P.decode(raw, self.version)
            if not self._fill(deadline):
                return None

    # --- reading ------------------------------------------------------------

    def read_now(self):
        """For select() loops over several clients: one read from a socket
        that select() reported readable, then every complete packet buffered
        (kept packets first). Raises Closed at end of stream."""
        self._fill(time.monotonic() + 0.001)
        out = list(self.pending)
        self.pending.clear()
        while True:
            n = P.frame_length(self.buf)
            if n is None:
                return out
            raw = bytes(self.buf[:n])
            del self.buf[:n]
            out.append(P.decode(raw, self.version))

    def try_recv(self, timeout=None, exact=False):
        """The next packet, or None when none arrives within timeout. exact:
        do not stretch the timeout for sanitized builds (for "nothing may
        happen before T" windows, which must not grow past the deadline)."""
        if self.pending:
            return self.pending.popleft()
        t = self.timeout if timeout is None else timeout
        return self._read_packet(time.monotonic() + (t if exact else env.scaled(t)))

    def recv(self, timeout=None):
        """The next packet; raises Timeout or Closed."""
        p = self.try_recv(timeout)
        if p is None:
            raise Timeout("%s: no packet within %.1fs" % (self.name, env.scaled(
                self.timeout if timeout is None else timeout)))
        return p

    def expect(self, ptype, timeout=None, **fields):
        """The next packet must be of ptype (int or name) and have the given
        attribute values, e.g. expect("CONNACK", rc=0)."""
        p = self.recv(timeout)
        check(p, ptype, **fields)
        return p

    def wait_for(self, ptype, mid=None, timeout=None):
        """Reads until a packet of ptype (with packet id mid, if given)
        arrives; packets read meanwhile are kept for later recv()."""
        want = P.type_of(ptype)
        for i, p in enumerate(self.pending):
            if p.type == want and (mid is None or getattr(p, "mid", None) == mid):
                del self.pending[i]
                return p
        t = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + env.scaled(t)
        while True:
            p = self._read_packet(deadline)
            if p is None:
                raise Timeout("%s: no %s%s within %.1fs (kept: %r)" % (
                    self.name, P.NAMES[want], "" if mid is None else " mid %d" % mid,
                    env.scaled(t), list(self.pending)[:5]))
            if p.type == want and (mid is None or getattr(p, "mid", None) == mid):
                return p
            self.pending.append(p)

    def expect_none(self, duration=0.5):
        """Asserts that no packet arrives for duration seconds (nor a close)."""
        p = self.try_recv(duration)
        if p is not None:
            raise AssertionError("%s: expected nothing, got %r" % (self.name, p))

    def expect_closed(self, timeout=None, allow=("DISCONNECT",)):
        """Asserts the broker closes the connection within timeout. Packets of
        the types in `allow` may come first; returns them (e.g. [DISCONNECT])."""
        t = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + env.scaled(t)
        seen = list(self.pending)
        self.pending.clear()
        try:
            while True:
                p = self._read_packet(deadline)
                if p is None:
                    raise Timeout("%s: still open after %.1fs (received %r)"
                                  % (self.name, env.scaled(t), seen))
                seen.append(p)
        except (Closed, P.MalformedError):
            pass
        self.close()
        bad = [p for p in seen if p.name not in allow]
        if bad:
            raise AssertionError("%s: before the close got %r" % (self.name, bad))
        return seen

    # --- protocol helpers ----------------------------------------------------

    def connect(self, client_id="", clean=True, keepalive=60, expect_rc=0, **kw):
        """Sends CONNECT, waits for CONNACK, checks its code; returns CONNACK."""
        self.send(P.connect(client_id, version=self.version, clean=clean,
                            keepalive=keepalive, **kw))
        ack = self.expect("CONNACK")
        self.connack = ack
        if expect_rc is not None and ack.rc != expect_rc:
            raise AssertionError("%s: CONNACK code 0x%02x, expected 0x%02x (%r)"
                                 % (self.name, ack.rc, expect_rc, ack))
        return ack

    def subscribe(self, topics, qos=0, props=None, expect_codes=None):
        """SUBSCRIBE and wait for its SUBACK. By default every code must be
        the granted QoS requested; expect_codes gives the exact list."""
        mid = self.next_mid()
        pkt = P.subscribe(mid, topics, qos=qos, props=props, version=self.version)
        self.send(pkt)
        ack = self.wait_for("SUBACK", mid)
        want = expect_codes
        if want is None:
            sent = P.decode(pkt, self.version).topics
            want = [opts & 3 for _, opts in sent]
        if list(ack.codes) != list(want):
            raise AssertionError("%s: SUBACK codes %r, expected %r" % (self.name, ack.codes, want))
        return ack

    def unsubscribe(self, filters, props=None):
        mid = self.next_mid()
        self.send(P.unsubscribe(mid, filters, props=props, version=self.version))
        return self.wait_for("UNSUBACK", mid)

    def publish(self, topic, payload=b"", qos=0, retain=False, props=None, expect_rc=None,
                mid=None):
        """Publishes and completes the QoS flow (PUBACK, or PUBREC/PUBREL/
        PUBCOMP). Returns the last ack (None for QoS 0). expect_rc checks the
        v5 reason code of PUBACK / PUBREC."""
        if qos == 0:
            self.send(P.publish(topic, payload, 0, retain, props=props, version=self.version))
            return None
        mid = mid or self.next_mid()
        self.send(P.publish(topic, payload, qos, retain, mid=mid, props=props,
                            version=self.version))
        ack = self.wait_for("PUBACK" if qos == 1 else "PUBREC", mid)
        if expect_rc is not None and ack.rc != expect_rc:
            raise AssertionError("%s: %s code 0x%02x, expected 0x%02x"
                                 % (self.name, ack.name, ack.rc, expect_rc))
        if qos == 1 or ack.rc >= 0x80:
            return ack
        self.send(P.pubrel(mid, version=self.version))
        return self.wait_for("PUBCOMP", mid)

    def ack(self, pub):
        """Acknowledges a received PUBLISH (QoS 1: PUBACK; QoS 2: PUBREC,
        then waits for PUBREL and sends PUBCOMP)."""
        if pub.qos == 1:
            self.send(P.puback(pub.mid, version=self.version))
        elif pub.qos == 2:
            self.send(P.pubrec(pub.mid, version=self.version))
            rel = self.wait_for("PUBREL", pub.mid)
            check(rel, "PUBREL", flags=2)
            self.send(P.pubcomp(pub.mid, version=self.version))

    def expect_publish(self, topic=None, payload=None, qos=None, retain=None, dup=None,
                       timeout=None, ack=True, **fields):
        """Waits for the next PUBLISH (other packets are kept), checks the
        given fields, and acknowledges it unless ack=False."""
        p = self.wait_for("PUBLISH", timeout=timeout)
        want = dict(fields)
        for k, v in (("topic", topic), ("qos", qos), ("retain", retain), ("dup", dup)):
            if v is not None:
                want[k] = v
        if payload is not None:
            want["payload"] = P.as_bytes(payload)
        check(p, "PUBLISH", **want)
        if ack:
            self.ack(p)
        return p

    def ping(self, timeout=None):
        self.send(P.pingreq())
        return self.wait_for("PINGRESP", timeout=timeout)

    def disconnect(self, rc=None, props=None):
        """Sends DISCONNECT and closes the socket."""
        try:
            self.send(P.disconnect(rc, props, version=self.version))
        except OSError:
            pass
        self.close()


def check(p, ptype, **fields):
    """Asserts p is a packet of ptype with the given attribute values."""
    want = P.type_of(ptype)
    if p.type != want:
        raise AssertionError("expected %s, got %r" % (P.NAMES[want], p))
    for k, v in fields.items():
        have = getattr(p, k, "<missing>")
        if k == "payload":
            v = P.as_bytes(v)
        if have != v:
            raise AssertionError("%s.%s is %r, expected %r (packet %r)"
                                 % (p.name, k, have, v, p))


def connect(target, client_id="", version=4, name=None, timeout=DEFAULT_TIMEOUT, **kw):
    """A new Client, connected (CONNACK code 0 unless expect_rc= says
    otherwise); the CONNACK is in its .connack."""
    c = Client(target, version=version, name=name or client_id or "client", timeout=timeout)
    try:
        c.connect(client_id, **kw)
    except BaseException:
        c.close()
        raise
    return c


def drain_all(clients, quiet=0.3, limit=30.0):
    """Reads from all clients at once until none has received anything for
    `quiet` seconds (at most `limit` seconds in all); acknowledges each
    PUBLISH. Returns {client: [packets]} in arrival order."""
    got = {c: [] for c in clients}
    socks = {c.sock: c for c in clients}
    end = time.monotonic() + env.scaled(limit)
    for c in clients:  # packets already read: kept ones, then whole ones in the buffer
        while c.pending:
            got[c].append(c.pending.popleft())
        while P.frame_length(c.buf) is not None:
            n = P.frame_length(c.buf)
            raw = bytes(c.buf[:n])
            del c.buf[:n]
            got[c].append(P.decode(raw, c.version))
    while True:
        now = time.monotonic()
        if now >= end:
            raise Timeout("drain_all: still receiving after %.0fs" % env.scaled(limit))
        ready, _, _ = select.select(list(socks), [], [], min(env.scaled(quiet), end - now))
        if not ready:
            break
        for s in ready:
            c = socks[s]
            if not c._fill(time.monotonic() + 1):
                continue
            while True:
                n = P.frame_length(c.buf)
                if n is None:
                    break
                raw = bytes(c.buf[:n])
                del c.buf[:n]
                got[c].append(P.decode(raw, c.version))
    for c, packets in got.items():
        for p in packets:
            if p.name == "PUBLISH" and p.qos:
                # QoS 2: PUBREC now; the PUBREL that follows is answered by
                # the next helper that reads this client (see ack()).
                c.send(P.puback(p.mid, version=c.version) if p.qos == 1
                       else P.pubrec(p.mid, version=c.version))
    return got
