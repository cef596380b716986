"""Small helpers for the 13-cli-* tests: a broker with a temp config, the
petrel-pub / petrel-sub tools, and a case runner.

Standard library only. It follows the settings run.py passes in the
environment (PETREL_BIN, PETREL_BROKER, PETREL_THREADS, PETREL_SANITIZED,
PETREL_TEST_DIR), so the files run under run.py or on their own:

    /usr/bin/python3 tests/integration/13-cli-pubsub.py [CASE]

Every wait is bounded (scaled by 3 for sanitized builds); every process is
started here and stopped by its PID; a sanitizer report in a tool's stderr
or the broker's log fails the case.
"""

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.abspath(os.environ.get("PETREL_BIN") or os.path.join(REPO, "build", "bin"))
BROKER_KIND = os.environ.get("PETREL_BROKER", "petrel")
THREADS = os.environ.get("PETREL_THREADS")
SCALE = 3 if os.environ.get("PETREL_SANITIZED") else 1
SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")
SKIP_EXIT = 77

# Exit codes of petrel-pub and petrel-sub (src/cli/common.h).
EXIT_OK, EXIT_USAGE, EXIT_NETWORK, EXIT_REFUSED, EXIT_TIMEOUT, EXIT_PROTOCOL = range(6)

_base_dir = None
_procs = []  # every process started, stopped by PID at the end of a case


class Skip(Exception):
    pass


def base_dir():
    global _base_dir
    if _base_dir is None:
        parent = os.environ.get("PETREL_TEST_DIR")
        _base_dir = tempfile.mkdtemp(prefix="cli-", dir=parent)
    return _base_dir


def tool(name):
    return os.path.join(BIN, name)


def check_sanitizer(text, what):
    if SANITIZER_RE.search(text):
        raise AssertionError("sanitizer report from %s:\n%s" % (what, text))


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ipv6_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def _spawn(argv, **kw):
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=10):
    """Stops one process by PID: sig first, SIGKILL if it does not exit."""
    if p.poll() is None:
        try:
            os.kill(p.pid, sig)
            p.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
        except ProcessLookupError:
            pass
    return p.returncode


class Broker:
    """Petrel (or mosquitto) on loopback ports with a generated config.

    conf: extra config lines; ipv6: also listen on ::1 (self.port6)."""

    def __init__(self, conf=(), ipv6=False):
        self.dir = tempfile.mkdtemp(prefix="broker-", dir=base_dir())
        self.conf = list(conf)
        self.ipv6 = ipv6
        self.host = "127.0.0.1"
        self.port = self.port6 = None
        self.proc = None
        self.log_path = os.path.join(self.dir, "broker.log")

    def _config(self):
        if BROKER_KIND == "mosquitto":
            self.port = free_port()
            lines = ["listener %d 127.0.0.1" % self.port]
            if self.ipv6:
                self.port6 = free_port(socket.AF_INET6, "::1")
                lines.append("listener %d ::1" % self.port6)
            lines += ["log_dest stdout"]
            if os.geteuid() == 0:
                lines.append("user root")  # else it drops to "mosquitto" and loses our files
        else:
            lines = ["listener 0 127.0.0.1"] + (["listener 0 ::1"] if self.ipv6 else [])
            if THREADS:
                lines.append("threads %s" % THREADS)
        if not any(l.startswith("allow_anonymous") for l in self.conf):
            lines.append("allow_anonymous true")
        return "\n".join(lines + self.conf) + "\n"

    def __enter__(self):
        path = os.path.join(self.dir, "broker.conf")
        with open(path, "w") as f:
            f.write(self._config())
        exe = "/usr/sbin/mosquitto" if BROKER_KIND == "mosquitto" else tool("petrel")
        log = open(self.log_path, "wb")
        self.proc = _spawn([exe, "-c", path], cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + 10 * SCALE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("broker exited early:\n" + self.log_text())
            if BROKER_KIND == "mosquitto":
                if self._accepts():
                    return
            else:
                found = re.findall(r"listening on (\S+) port (\d+)", self.log_text())
                v4 = [int(p) for h, p in found if h == "127.0.0.1"]
                v6 = [int(p) for h, p in found if h == "::1"]
                if v4 and (v6 or not self.ipv6):
                    self.port, self.port6 = v4[0], (v6[0] if v6 else None)
                    return
            time.sleep(0.05)
        raise AssertionError("broker not listening in time:\n" + self.log_text())

    def _accepts(self):
        try:
            socket.create_connection((self.host, self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def kill(self):
        stop(self.proc, signal.SIGKILL)

    def __exit__(self, *exc):
        early = self.proc.poll()  # set when the broker died during the case
        rc = stop(self.proc)
        check_sanitizer(self.log_text(), "the broker")
        if exc[0] is not None:
            # The case failed: say how the broker was, for the diagnosis.
            sys.stderr.write("broker: %s; log:\n%s\n" % (
                "exited by itself with status %s" % early if early is not None
                else "running, stopped with status %s" % rc, self.log_text()))
        elif rc not in (0, -signal.SIGKILL):
            raise AssertionError("broker exit status %s:\n%s" % (rc, self.log_text()))

    def args(self):
        return ["-h", self.host, "-p", str(self.port)]


class FakeBroker:
    """A listening socket the test answers by hand, for the client-side
    rules no well-behaved broker exercises (duplicates, silence, bad acks)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.host, self.port = "127.0.0.1", self.sock.getsockname()[1]
        self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.conn:
            self.conn.close()
        self.sock.close()

    def args(self):
        return ["-h", self.host, "-p", str(self.port)]

    def accept(self, timeout=10):
        self.sock.settimeout(timeout * SCALE)
        self.conn, _ = self.sock.accept()
        return self

    def _read(self, n, deadline):
        data = b""
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("fake broker: no packet in time")
            self.conn.settimeout(left)
            chunk = self.conn.recv(n - len(data))
            if not chunk:
                raise AssertionError("fake broker: the client closed the connection")
            data += chunk
        return data

    def packet(self, timeout=10):
        """Reads one packet; returns (first byte, body)."""
        deadline = time.monotonic() + timeout * SCALE
        first = self._read(1, deadline)[0]
        length, shift = 0, 0
        while True:
            b = self._read(1, deadline)[0]
            length |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        return first, self._read(length, deadline)

    def expect(self, first_byte, timeout=10):
        first, body = self.packet(timeout)
        if first != first_byte:
            raise AssertionError("fake broker: got packet 0x%02x %r, want 0x%02x"
                                 % (first, body, first_byte))
        return body

    def expect_nothing(self, seconds):
        self.conn.settimeout(seconds)
        try:
            data = self.conn.recv(1)
        except socket.timeout:
            return
        raise AssertionError("fake broker: unexpected bytes %r" % data)

    def send(self, data):
        self.conn.sendall(data)


class Tool:
    """A tool running in the background while the test plays the broker."""

    def __init__(self, name, args, broker, input=None, stdin_open=False):
        """input: bytes for stdin, then end of file; stdin_open: a pipe left
        open until close_stdin() (or finish())."""
        self.name = name
        piped = input is not None or stdin_open
        self.proc = _spawn([tool(name)] + broker.args() + list(args),
                           stdin=subprocess.PIPE if piped else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = self.err = None
        if input is not None:
            self.proc.stdin.write(input)
            self.proc.stdin.flush()
        if not stdin_open:
            self.close_stdin()

    def close_stdin(self):
        if self.proc.stdin:
            self.proc.stdin.close()
            self.proc.stdin = None  # so communicate() leaves it alone

    def finish(self, timeout=10):
        try:
            out, err = self.proc.communicate(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            stop(self.proc, signal.SIGKILL)
            raise AssertionError("%s did not exit in time" % self.name)
        self.out, self.err = out, err.decode("utf-8", "replace")
        check_sanitizer(self.err, self.name)
        return self.proc.returncode


def run(name, args, input=None, timeout=20, broker=None):
    """Runs a tool to completion (bounded); returns (status, stdout, stderr)."""
    argv = [tool(name) if name.startswith("petrel") else name]
    argv += (broker.args() if broker else []) + list(args)
    p = _spawn(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(input=input, timeout=timeout * SCALE)
    except subprocess.TimeoutExpired:
        stop(p, signal.SIGKILL)
        raise AssertionError("%s did not finish in %ds: %s" % (name, timeout * SCALE, argv))
    err_text = err.decode("utf-8", "replace")
    check_sanitizer(err_text, name)
    return p.returncode, out, err_text


MOSQ_DEBUG_RE = re.compile(rb"^(Client \S+ (sending|received) |Subscribed \(mid)")


class Sub:
    """A subscriber running in the background (petrel-sub or mosquitto_sub
    with -d), ready once its SUBACK arrived. finish() collects the rest.

    mosquitto_sub prints its -d lines on stdout, block-buffered into a
    pipe: it runs under stdbuf -oL and those lines are moved to the stderr
    text here (its payloads in these tests are text lines)."""

    def __init__(self, broker, args, name="petrel-sub", ready=True):
        self.name = name
        self.debug_on_stdout = name == "mosquitto_sub"
        exe = tool(name) if name.startswith("petrel") else name
        self.argv = [exe] + broker.args() + ["-d"] + list(args)
        if self.debug_on_stdout:
            self.argv = ["stdbuf", "-oL"] + self.argv  # else its stdout waits in a buffer
        self.ready = ready
        self.err_lines = queue.Queue()
        self.err_text = ""
        self.out = b""

    def __enter__(self):
        self.proc = _spawn(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        self._chunks = []
        self._out_thread = threading.Thread(target=self._read_out, daemon=True)
        self._err_thread = threading.Thread(target=self._read_err, daemon=True)
        self._out_thread.start()
        self._err_thread.start()
        if self.ready:
            self.wait_stderr("received SUBACK")
        return self

    def _read_out(self):
        if self.debug_on_stdout:
            for line in self.proc.stdout:
                if MOSQ_DEBUG_RE.match(line):
                    self.err_lines.put(line.decode("utf-8", "replace"))
                else:
                    self._chunks.append(line)
            return
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            self._chunks.append(chunk)

    def _read_err(self):
        for line in self.proc.stderr:
            self.err_lines.put(line.decode("utf-8", "replace"))

    def wait_stderr(self, text, timeout=10):
        deadline = time.monotonic() + timeout * SCALE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s: no '%s' on stderr in time; so far:\n%s"
                                     % (self.name, text, self.err_text))
            try:
                line = self.err_lines.get(timeout=left)
            except queue.Empty:
                continue
            self.err_text += line
            if text in line:
                return line

    def stdout(self):
        return b"".join(self._chunks)

    def finish(self, timeout=10):
        """Waits (bounded) for the subscriber to exit; returns its status."""
        try:
            self.proc.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            stop(self.proc, signal.SIGKILL)
            raise AssertionError("%s did not exit in time" % self.name)
        self._out_thread.join(5)
        self._err_thread.join(5)
        while not self.err_lines.empty():
            self.err_text += self.err_lines.get()
        self.out = self.stdout()
        check_sanitizer(self.err_text, self.name)
        return self.proc.returncode

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            stop(self.proc)
        self.finish()


def wait_until(cond, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout * SCALE
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what or "value", got, want))


_cases = []


def case(fn):
    _cases.append(fn)
    return fn


def _stop_all():
    for p in _procs:
        stop(p, signal.SIGKILL)
    del _procs[:]


def main():
    """Runs the cases (or those named in argv); exits 0, 1, or 77 if all skipped."""
    want = sys.argv[1:]
    failed = skipped = ran = 0
    for fn in _cases:
        if want and fn.__name__ not in want:
            continue
        ran += 1
        t0 = time.monotonic()
        try:
            fn()
            status = "ok"
        except Skip as e:
            status = "skip (%s)" % e
            skipped += 1
        except Exception:
            status = "FAIL"
            failed += 1
            traceback.print_exc()
        finally:
            _stop_all()
        print("case %-32s %s %.1fs" % (fn.__name__, status, time.monotonic() - t0), flush=True)
    if failed:
        print("kept for inspection: %s" % base_dir())
        sys.exit(1)
    if _base_dir and not os.environ.get("PETREL_TEST_DIR"):
        shutil.rmtree(_base_dir, ignore_errors=True)
    if ran and skipped == ran:
        print("SKIP: every case skipped")
        sys.exit(SKIP_EXIT)
    sys.exit(0)
