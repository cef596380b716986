"""MQTT.js (npm `mqtt`, in tests/node_modules) as a test peer, driven through
js/client.js: JSON commands on its stdin, JSON events on its stdout.

    with mqttjs.Client(b) as js:
        js.connect(clientId="js1", protocolVersion=5, clean=True)
        js.subscribe("t/#", qos=2)
        js.publish("t/a", "hello", qos=1)
        m = js.expect("message", topic="t/a")       # dict: topic payload qos retain dup
        js.kill()                                    # SIGKILL: an abrupt close (will)

Every wait is bounded. The node process is stopped by PID when the block ends.
Tests using it call mqttjs.require() first: it skips when MQTT.js is missing.
"""

import json
import os
import queue
import signal
import subprocess
import threading
import time

from . import env, procs, testing

SCRIPT = os.path.join(env.JS_DIR, "client.js")


def require():
    """Skips the case when node or MQTT.js is not installed."""
    if not os.path.isdir(os.path.join(env.NODE_MODULES, "mqtt")):
        testing.skip("MQTT.js not installed (scripts/install-deps.sh)")


class Client:
    def __init__(self, broker, name="mqttjs"):
        require()
        self.broker, self.name = broker, name
        self.events = queue.Queue()
        self.kept = []
        self.stderr_path = os.path.join(env.test_dir(), "%s-%s.stderr" % (name, os.getpid()))
        envv = dict(os.environ, NODE_PATH=env.NODE_MODULES)
        self._err = open(self.stderr_path, "ab")
        self.proc = procs.spawn(["node", SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=self._err, env=envv, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._tags = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                self.events.put({"ev": "junk", "line": line})
        self.events.put({"ev": "exit"})

    def cmd(self, op, **kw):
        """Sends one command; returns the tag that its answer event will carry."""
        self._tags += 1
        kw.setdefault("tag", str(self._tags))
        kw["op"] = op
        self.proc.stdin.write(json.dumps(kw) + "\n")
        self.proc.stdin.flush()
        return kw["tag"]

    def expect(self, ev, timeout=5, **match):
        """Waits for an event named ev whose fields equal `match`; events read
        meanwhile are kept for later expect() calls."""
        def fits(e):
            return e.get("ev") == ev and all(e.get(k) == v for k, v in match.items())
        for i, e in enumerate(self.kept):
            if fits(e):
                return self.kept.pop(i)
        deadline = time.monotonic() + env.scaled(timeout)
        while True:
            left = deadline - time.monotonic()
            try:
                e = self.events.get(timeout=max(0.001, left))
            except queue.Empty:
                raise AssertionError("%s: no %s event %r within %.1fs; kept: %r; stderr: %s"
                                     % (self.name, ev, match, env.scaled(timeout),
                                        self.kept[-5:], self._stderr()))
            if fits(e):
                return e
            self.kept.append(e)

    def expect_none(self, ev="message", duration=0.5):
        """Asserts no `ev` event arrives within duration seconds."""
        try:
            e = self.expect(ev, timeout=duration)
        except AssertionError:
            return
        raise AssertionError("%s: expected no %s event, got %r" % (self.name, ev, e))

    def _stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    # --- commands with their answers ----------------------------------------

    def connect(self, expect_code=0, **options):
        """Connects with MQTT.js options (clientId, protocolVersion, clean,
        keepalive, will, properties, username, password, ...); returns the
        connect event. expect_code=None: don't wait."""
        url = "mqtt://%s:%d" % (self.broker.host, self.broker.port)
        self.cmd("connect", url=url, options=options)
        if expect_code is None:
            return None
        e = self.expect("connect", timeout=10)
        if e["reasonCode"] != expect_code:
            raise AssertionError("%s: CONNACK code %r" % (self.name, e))
        return e

    def subscribe(self, topic, qos=0, **options):
        tag = self.cmd("subscribe", topic=topic, qos=qos, options=options)
        e = self.expect("suback", tag=tag)
        if e.get("error"):
            raise AssertionError("%s: subscribe failed: %r" % (self.name, e))
        return e

    def publish(self, topic, payload, qos=0, retain=False, properties=None, check=True):
        tag = self.cmd("publish", topic=topic, payload=payload, qos=qos, retain=retain,
                       properties=properties or {})
        e = self.expect("published", tag=tag, timeout=10)
        if check and e.get("error"):
            raise AssertionError("%s: publish failed: %r" % (self.name, e))
        return e

    def publish_many(self, topic, count, qos=0, prefix="m", timeout=30):
        tag = self.cmd("publish_many", topic=topic, count=count, qos=qos, prefix=prefix)
        e = self.expect("published_many", tag=tag, timeout=timeout)
        if e.get("error"):
            raise AssertionError("%s: publish_many failed: %r" % (self.name, e))
        return e

    def messages(self, n, timeout=10):
        deadline = time.monotonic() + env.scaled(timeout)
        out = []
        for _ in range(n):
            left = max(0.01, (deadline - time.monotonic()) / env.SCALE)
            out.append(self.expect("message", timeout=left))
        return out

    def end(self):
        """A clean DISCONNECT; waits for MQTT.js to finish it."""
        self.cmd("end")
        self.expect("ended", timeout=10)

    def kill(self):
        """SIGKILL: the OS closes the socket without DISCONNECT (fires a will)."""
        if self.proc:
            procs.stop(self.proc, sig=signal.SIGKILL)

    def stop(self):
        if self.proc:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            procs.stop(self.proc, timeout=env.scaled(5))
            self._reader.join(timeout=5)
            self.proc = None
            self._err.close()
