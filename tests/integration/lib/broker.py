"""Start the broker under test with a generated config, and stop it cleanly.

    with Broker(conf=["max_inflight_messages 10"]) as b:
        c = client.connect(b, "id")      # b.host, b.port

Broker writes PETREL_TEST_DIR/<case>-<n>/broker.conf: a loopback listener
on an ephemeral port, `allow_anonymous true`, `log_dest stderr`, `threads N`
(from --threads), then the test's lines, which replace a default with the
same key. `{dir}` in a line becomes the broker's folder; `files` are written
there first (relative paths resolve there too: the broker runs in it).

Petrel: `petrel -c broker.conf`; the port is read from its `listening on
ADDRESS port PORT` log lines (one per listener, in order). mosquitto: a free
port is picked here and written into the config; keys mosquitto lacks make
the case skip (Skip), so a test needing them is Petrel-only automatically.

On exit: SIGTERM, a bounded wait, then SIGKILL. It is an error (BrokerError)
when Petrel exits non-zero or had to be killed, when the broker died before
it was stopped, or (--sanitized) when its log holds a sanitizer report.
"""

import os
import re
import signal
import socket
import subprocess
import time

from . import env, procs, testing

# Keys only Petrel has: a config with one of them cannot run on mosquitto.
PETREL_ONLY_KEYS = {"threads", "users_file", "groups_file", "connect_timeout",
                    "max_write_buffer", "max_topic_length", "max_topic_levels",
                    "max_subscriptions", "max_client_id_length", "reason_strings",
                    "response_information", "server_reference", "server_reference_mode",
                    "receive_maximum"}
SANITIZER_RE = re.compile(r"(ERROR|WARNING): (AddressSanitizer|LeakSanitizer|ThreadSanitizer)"
                          r"|runtime error:|UndefinedBehaviorSanitizer")
PETREL_LISTEN_RE = re.compile(r"listening on (\S+) port (\d+)")
MOSQUITTO_READY_RE = re.compile(r"mosquitto version \S+ running")


class BrokerError(AssertionError):
    """The broker failed to start, crashed, or did not stop cleanly."""


def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago (for mosquitto, which cannot
    report an ephemeral port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _key(line):
    parts = line.split(None, 1)
    return parts[0] if parts else ""


class Broker:
    """One broker process; see the module comment.

    conf       extra config lines (strings; `{dir}` is replaced)
    files      {name: text or bytes} written into the broker's folder first
    listeners  [(port, address)], default [(0, "127.0.0.1")]; port 0 = ephemeral
    kind       "petrel" or "mosquitto" (default: the suite's --broker)
    binary     the Petrel program name in --bin (default "petrel")
    """

    _count = 0

    def __init__(self, conf=(), files=None, listeners=None, kind=None, binary="petrel"):
        self.kind = kind or env.BROKER
        self.conf = [c for c in conf if c.strip()]
        self.files = files or {}
        self.listeners = list(listeners or [(0, "127.0.0.1")])
        self.binary = binary
        Broker._count += 1
        self.dir = os.path.join(env.test_dir(), "%s-%d" % (testing.current_case(), Broker._count))
        self.conf_path = os.path.join(self.dir, "broker.conf")
        self.log_path = os.path.join(self.dir, "broker.log")
        self.proc = None
        self.ports = []
        self.host = self.listeners[0][1]
        self.starts = 0

    # --- public ----------------------------------------------------------

    @property
    def port(self):
        return self.ports[0]

    @property
    def addr(self):
        return (self.host, self.port)

    def path(self, name):
        """Absolute path of a file in the broker's folder."""
        return os.path.join(self.dir, name)

    def write_file(self, name, data):
        """Writes (or replaces) a file in the broker's folder."""
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(self.path(name), mode) as f:
            f.write(data)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            # Keep the test's own error; still stop the broker.
            try:
                self.stop()
            except BrokerError as e:
                testing.log("also: %s" % e)
        return False

    def start(self):
        """Writes the config (first start only) and starts the broker; returns
        once every listener listens. Raises BrokerError with the log tail."""
        if self.starts == 0:
            os.makedirs(self.dir, exist_ok=True)
            for name, data in self.files.items():
                self.write_file(name, data)
            self._write_config()
        self.starts += 1
        testing.note_broker(self)
        args = self._command()
        envv = dict(os.environ)
        if env.SANITIZED:
            envv.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
            envv.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        self._log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        with open(self.log_path, "ab") as log:
            self.proc = procs.spawn(args, cwd=self.dir, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log, env=envv)
        self._wait_ready()
        return self

    def stop(self):
        """SIGTERM, bounded wait, checks (see the module comment)."""
        if not self.proc:
            return
        proc, self.proc = self.proc, None
        early = proc.poll()
        rc, killed = procs.stop(proc, timeout=env.scaled(10))
        problems = []
        if early is not None:
            problems.append("broker exited by itself during the test (status %s)" % early)
        elif killed:
            problems.append("broker still running %.0fs after SIGTERM; killed" % env.scaled(10))
        elif self.kind == "petrel" and rc != 0:
            problems.append("petrel exited with status %s after SIGTERM" % rc)
        problems += self._sanitizer_problems()
        if problems:
            raise BrokerError("; ".join(problems) + "\n" + self._tail())

    def kill(self):
        """SIGKILL (a crash, for recovery tests); no exit-status check."""
        if self.proc:
            procs.stop(self.proc, timeout=env.scaled(10), sig=signal.SIGKILL)
            self.proc = None

    def restart(self):
        """stop() then start() with the same config and folder. An ephemeral
        Petrel port may change; mosquitto keeps its port."""
        self.stop()
        return self.start()

    def signal(self, sig):
        """Sends sig (e.g. signal.SIGHUP to reload) to the broker, by PID."""
        self.proc.send_signal(sig)

    def reload(self):
        self.signal(signal.SIGHUP)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        """The whole broker log so far (all starts)."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=5.0, since_start=True):
        """Waits (bounded) until the log matches the regex; returns the match."""
        rx = re.compile(pattern)
        start = self._log_offset if since_start else 0

        def look():
            return rx.search(self.log_text()[start:])
        return testing.wait_until(look, timeout, what="log line /%s/" % pattern)

    # --- internals ---------------------------------------------------------

    def _command(self):
        if self.kind == "mosquitto":
            return [env.MOSQUITTO, "-c", self.conf_path]
        exe = os.path.join(env.BIN, self.binary)
        if not os.access(exe, os.X_OK):
            raise BrokerError("no broker binary at %s (build it, or pass --bin)" % exe)
        return [exe, "-c", self.conf_path]

    def _write_config(self):
        lines = []
        for port, address in self.listeners:
            if self.kind == "mosquitto" and port == 0:
                port = free_port(address)
            lines.append("listener %d %s" % (port, address))
        test_lines = [c.replace("{dir}", self.dir) for c in self.conf]
        given = {_key(c) for c in test_lines}
        defaults = ["allow_anonymous true", "log_dest stderr"]
        if self.kind == "petrel" and env.THREADS:
            defaults.append("threads %s" % env.THREADS)
        if self.kind == "petrel" and env.PERSISTENCE:
            # Every test with the durable store on (acknowledgements after
            # commit); sync off keeps the suite's pace.
            defaults += ["persistence true", "persistence_location data",
                         "persistence_sync off"]
        lines += [d for d in defaults if _key(d) not in given]
        if self.kind == "mosquitto":
            if os.geteuid() == 0:
                # mosquitto started as root drops to user "mosquitto", which
                # cannot read our private temp folder.
                lines.append("user root")
            for c in test_lines:
                if _key(c) in PETREL_ONLY_KEYS:
                    raise testing.Skip("Petrel-only: config key '%s'" % _key(c))
        lines += test_lines
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _wait_ready(self):
        want = len(self.listeners)
        deadline = time.monotonic() + env.scaled(10)
        while time.monotonic() < deadline:
            text = self.log_text()[self._log_offset:]
            if self.kind == "mosquitto":
                if MOSQUITTO_READY_RE.search(text):
                    self.ports = [int(l.split()[1]) for l in self._listener_lines()]
                    return
            else:
                found = PETREL_LISTEN_RE.findall(text)
                if len(found) >= want:
                    self.ports = [int(p) for _, p in found[:want]]
                    return
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                procs.forget(self.proc)
                self.proc = None
                raise BrokerError("broker exited with status %s while starting\n%s"
                                  % (rc, self._tail()))
            time.sleep(0.02)
        self.kill()
        raise BrokerError("broker did not report listening within %.0fs\n%s"
                          % (env.scaled(10), self._tail()))

    def _listener_lines(self):
        with open(self.conf_path) as f:
            return [l for l in f.read().splitlines() if _key(l) == "listener"]

    def _sanitizer_problems(self):
        if not env.SANITIZED:
            return []
        m = SANITIZER_RE.search(self.log_text())
        return ["sanitizer report in broker log: %r" % m.group(0)] if m else []

    def _tail(self, n=30):
        lines = self.log_text().splitlines()[-n:]
        return "--- last %d lines of %s\n%s" % (len(lines), self.log_path, "\n".join(lines))
