"""mosquitto_pub and mosquitto_sub (Debian mosquitto-clients) as test peers.

    tools.pub(b, "t", "hello", qos=2, version=5)          # runs to completion
    with tools.Sub(b, "t/#", qos=1, count=3) as s:        # ready once subscribed
        ...publish...
        msgs = s.messages(3)                              # [Message(topic, payload, qos, retain)]

Each run has a time limit; a Sub is stopped by PID when its block ends.
version is 3 (3.1), 4 (3.1.1) or 5.
"""

import collections
import os
import queue
import subprocess
import threading
import time

from . import env, procs

PUB = "/usr/bin/mosquitto_pub"
SUB = "/usr/bin/mosquitto_sub"
_VERSION_ARG = {3: "31", 4: "311", 5: "5"}
MARK = "#MSG#"

Message = collections.namedtuple("Message", "topic payload qos retain")
# With Sub(v5props=True): the v5 properties mosquitto_sub prints, by the
# specification's names, only those present: topic_alias,
# subscription_identifier, message_expiry_interval, payload_format_indicator
# (ints), content_type, response_topic, correlation_data (str; printed raw,
# so printable values only), user_property ("k1:v1 k2:v2" as printed).
Message5 = collections.namedtuple("Message5", "topic payload qos retain props")
SEP = "\x1f"  # ASCII unit separator: not in any value the tests use
V5_FIELDS = (("topic_alias", "%A", int), ("subscription_identifier", "%S", int),
             ("message_expiry_interval", "%E", int), ("payload_format_indicator", "%F", int),
             ("content_type", "%C", str), ("response_topic", "%R", str),
             ("correlation_data", "%D", str), ("user_property", "%P", str))


def _common(b, version, client_id, extra):
    args = ["-h", b.host, "-p", str(b.port), "-V", _VERSION_ARG[version]]
    if client_id:
        args += ["-i", client_id]
    return args + list(extra)


def pub(b, topic, message, qos=0, version=4, retain=False, client_id=None, extra=(),
        timeout=10, check=True):
    """Runs mosquitto_pub once; returns the CompletedProcess (rc 0 checked
    unless check=False). `message` may be str or bytes (bytes go via stdin)."""
    args = [PUB] + _common(b, version, client_id, extra) + ["-t", topic, "-q", str(qos)]
    if retain:
        args.append("-r")
    data = None
    if isinstance(message, bytes):
        args.append("-s")  # the payload is read from stdin, zero bytes included
        data = message
    elif message is None:
        args.append("-n")
    else:
        args += ["-m", message]
    r = procs.run(args, env.scaled(timeout), input=data, text=data is None)
    if check and r.returncode != 0:
        raise AssertionError("mosquitto_pub failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
    return r


class Sub:
    """mosquitto_sub in the background. Entering waits for its SUBACK.

    topics  a filter or a list of filters; qos the requested QoS
    count   exit after this many messages (-C), or None
    extra   more mosquitto_sub arguments (e.g. ["-c"] with client_id, ["-R"])
    """

    def __init__(self, b, topics, qos=0, version=4, count=None, client_id=None, extra=(),
                 ready=True, v5props=False):
        topics = [topics] if isinstance(topics, str) else list(topics)
        fmt = MARK + "%q|%r|%t|%x"
        if v5props:
            fmt = MARK + SEP.join(["%q", "%r", "%t", "%x"] + [f for _, f, _ in V5_FIELDS])
        self.v5props = v5props
        # stdbuf: mosquitto_sub's stdout is a pipe here, which stdio would
        # buffer in blocks; lines must arrive as they are written.
        args = ["stdbuf", "-oL", SUB] + _common(b, version, client_id, extra) + ["-q", str(qos), "-d",
                                                              "-F", fmt]
        for t in topics:
            args += ["-t", t]
        if count:
            args += ["-C", str(count)]
        self.args, self.wait_ready = args, ready
        self.lines = queue.Queue()
        self.debug = []
        self.proc = None

    def __enter__(self):
        self.proc = procs.spawn(self.args, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if self.wait_ready:
            try:
                self.wait_debug("received SUBACK")
            except BaseException:
                self.stop()
                raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.proc:
            procs.stop(self.proc)
            self._reader.join(timeout=5)
            self.proc = None

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line.startswith(MARK) and self.v5props:
                f = line[len(MARK):].split(SEP)
                props = {name: conv(v) for (name, _, conv), v in zip(V5_FIELDS, f[4:]) if v}
                self.lines.put(Message5(f[2], bytes.fromhex(f[3]), int(f[0]), f[1] == "1", props))
            elif line.startswith(MARK):
                q, r, rest = line[len(MARK):].split("|", 2)
                topic, hexp = rest.rsplit("|", 1)
                self.lines.put(Message(topic, bytes.fromhex(hexp), int(q), r == "1"))
            else:
                self.debug.append(line)

    def wait_debug(self, text, timeout=10):
        """Waits until a line of mosquitto_sub's -d output contains text."""
        deadline = time.monotonic() + env.scaled(timeout)
        while time.monotonic() < deadline:
            if any(text in l for l in self.debug):
                return
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError("mosquitto_sub: no %r within %.0fs; output:\n%s"
                             % (text, env.scaled(timeout), "\n".join(self.debug[-20:])))

    def message(self, timeout=5):
        """The next message; raises AssertionError when none comes in time."""
        try:
            return self.lines.get(timeout=env.scaled(timeout))
        except queue.Empty:
            raise AssertionError("mosquitto_sub: no message within %.1fs; output:\n%s"
                                 % (env.scaled(timeout), "\n".join(self.debug[-20:])))

    def messages(self, n, timeout=10):
        """The next n messages, all within timeout seconds."""
        deadline = time.monotonic() + env.scaled(timeout)
        out = []
        for _ in range(n):
            out.append(self.message(max(0.01, (deadline - time.monotonic()) / env.SCALE)))
        return out

    def expect_none(self, duration=0.5):
        try:
            m = self.lines.get(timeout=env.scaled(duration))
        except queue.Empty:
            return
        raise AssertionError("mosquitto_sub: expected nothing, got %r" % (m,))

    def exit_status(self, timeout=10):
        """Waits (bounded) for mosquitto_sub to exit by itself (e.g. -C)."""
        rc = self.proc.wait(timeout=env.scaled(timeout))
        return rc


def node_available():
    return os.path.isdir(os.path.join(env.NODE_MODULES, "mqtt"))
