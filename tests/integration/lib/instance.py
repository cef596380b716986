"""Petrel started the ways the README tells people to: `petrel create DIR`
then `petrel run DIR`, and `petrel` with no config at all; and brokers
whose log does not say where they listen.

    inst = instance.create("mybroker")            # petrel create; inst.password
    with instance.InstanceBroker(inst) as b:      # petrel run DIR, ephemeral port
        ...b.port, b.log_text()...
    with instance.DefaultPortsLock(), instance.NoConfigBroker() as b:
        ...                                       # petrel: 127.0.0.1:1883 and :61613
    with instance.FixedPortBroker(conf=["log_type error"]) as b:  # ready = accepts TCP
        ...
    rc = instance.stop_with(b, signal.SIGINT)     # exit status after a signal

All are lib.broker.Broker objects (same stop checks, log, signals); only
the command line, the port and where the config and log are differ. The
first two are Petrel-only: against mosquitto the case skips.
"""

import fcntl
import os
import re
import socket
import subprocess
import tempfile
import time

from . import env, procs, testing
from .broker import SANITIZER_RE, Broker, BrokerError, free_port

PASSWORD_RE = re.compile(r"^\s*password:\s*(\S+)\s*$", re.M)
USER_RE = re.compile(r"^\s*user name:\s*(\S+)\s*$", re.M)


def petrel_exe():
    return os.path.join(env.BIN, "petrel")


class Instance:
    """A folder made by `petrel create`: dir, output (what it printed),
    user and password (the generated admin login)."""

    def __init__(self, dir, output):
        self.dir, self.output = dir, output
        m, u = PASSWORD_RE.search(output), USER_RE.search(output)
        self.password = m.group(1) if m else None
        self.user = u.group(1) if u else None

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def conf_path(self):
        return self.path("etc", "petrel.conf")

    def read(self, *parts):
        with open(self.path(*parts)) as f:
            return f.read()

    def append(self, rel, text):
        with open(self.path(*rel.split("/")), "a") as f:
            f.write(text)


def run_petrel(args, timeout=20, **kw):
    """Runs build/bin/petrel with args to completion (CompletedProcess)."""
    return procs.run([petrel_exe()] + list(args), env.scaled(timeout), **kw)


def create(name="inst"):
    """`petrel create` in a new folder under the test dir; checks it exited 0
    and printed a password. Petrel-only (skips against mosquitto)."""
    testing.petrel_only("petrel create")
    d = os.path.join(env.test_dir(), "%s-%s" % (testing.current_case(), name))
    r = run_petrel(["create", d])
    if r.returncode != 0:
        raise AssertionError("petrel create %s: status %d\n%s%s"
                             % (d, r.returncode, r.stdout, r.stderr))
    inst = Instance(d, r.stdout)
    if not inst.password:
        raise AssertionError("petrel create printed no password:\n" + r.stdout)
    return inst


class InstanceBroker(Broker):
    """`petrel run DIR` for an Instance. Before the first start its
    etc/petrel.conf's listener lines are replaced by one `listener 0
    127.0.0.1` (an ephemeral port; the test never takes 1883); then
    `threads N` under --threads and the `extra` lines are appended.
    Everything else is the file `petrel create` wrote, so the log goes to
    DIR/log/petrel.log. default_ports=True keeps the file's listeners
    (1883 and 61613): run it inside `with DefaultPortsLock()`."""

    def __init__(self, inst, extra=(), default_ports=False, relative=False):
        testing.petrel_only("petrel run DIR")
        super().__init__(listeners=[(p, "127.0.0.1") for p in DEFAULT_PORTS]
                         if default_ports else None)
        self.inst, self.extra, self.default_ports = inst, list(extra), default_ports
        self.relative = relative  # DIR given relative to the working directory
        self.conf_path = inst.conf_path
        self.log_path = inst.path("log", "petrel.log")

    def _keep_listeners(self):
        return self.default_ports

    def _write_config(self):
        with open(self.conf_path) as f:
            lines = f.read().splitlines()
        out, placed = [], self._keep_listeners()
        for line in lines:
            if line.split(None, 1)[:1] == ["listener"] and not self._keep_listeners():
                if not placed:
                    out.append("listener 0 127.0.0.1")
                    placed = True
                continue
            out.append(line)
        if env.THREADS:
            out.append("threads %s" % env.THREADS)
        out += self.extra
        with open(self.conf_path, "w") as f:
            f.write("\n".join(out) + "\n")

    def _command(self):
        d = os.path.relpath(self.inst.dir, self.dir) if self.relative else self.inst.dir
        return [petrel_exe(), "run", d]


def port_free(port, host="127.0.0.1"):
    """True when nothing listens on host:port (so petrel may bind it).
    SO_REUSEADDR, as libuv sets it: connections of an earlier broker in
    TIME_WAIT do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


DEFAULT_PORTS = (1883, 61613)
LOCK_PATH = os.path.join(tempfile.gettempdir(), "petrel-itest-default-ports.lock")


class DefaultPortsLock:
    """Held around a broker that binds 127.0.0.1:1883 and :61613:

        with DefaultPortsLock(), NoConfigBroker() as b:

    serializes such brokers across test files run in parallel (an flock on
    a file in the temp dir), then skips the case when a program outside the
    tests holds either port."""

    def __init__(self, timeout=60):
        self.timeout, self.f = timeout, None

    def __enter__(self):
        self.f = open(LOCK_PATH, "a")
        deadline = time.monotonic() + env.scaled(self.timeout)
        while True:
            try:
                fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.release()
                    testing.skip("ports 1883/61613: another test held them for %.0fs"
                                 % env.scaled(self.timeout))
                time.sleep(0.1)
        taken = [p for p in DEFAULT_PORTS if not port_free(p)]
        if taken:
            self.release()
            testing.skip("port %s on 127.0.0.1 is in use here; this case needs 1883 and "
                         "61613" % " and ".join(map(str, taken)))
        return self

    def __exit__(self, *exc):
        self.release()
        return False

    def release(self):
        if self.f:
            self.f.close()  # closing drops the flock
            self.f = None


class NoConfigBroker(Broker):
    """`petrel` with no argument: 127.0.0.1:1883 and 127.0.0.1:61613,
    anonymous. Run it inside `with DefaultPortsLock()`."""

    def __init__(self):
        testing.petrel_only("petrel with no config file")
        super().__init__(listeners=[(p, "127.0.0.1") for p in DEFAULT_PORTS])

    def _write_config(self):
        pass

    def _command(self):
        return [petrel_exe()]


class FixedPortBroker(Broker):
    """A broker (either kind) on one port picked here, counted ready when it
    accepts a TCP connection: for configs whose log never says `listening
    on` (log_type, log_dest file/none)."""

    def __init__(self, conf=(), files=None):
        super().__init__(conf=conf, files=files, listeners=[(free_port(), "127.0.0.1")])

    def _wait_ready(self):
        port = self.listeners[0][0]
        deadline = time.monotonic() + env.scaled(10)
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                self.ports = [port]
                return
            except OSError:
                pass
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                procs.forget(self.proc)
                self.proc = None
                raise BrokerError("broker exited with status %s while starting\n%s"
                                  % (rc, self._tail()))
            time.sleep(0.02)
        self.kill()
        raise BrokerError("broker did not accept connections on port %d within %.0fs"
                          % (port, env.scaled(10)))


def stop_with(b, sig, timeout=10):
    """Sends sig to the broker, waits (bounded) for it to exit, and returns
    its exit status; the broker then counts as stopped (the `with` block's
    own stop does nothing). Fails if it is still running after timeout, or
    (sanitized build) if its log holds a sanitizer report."""
    proc = b.proc
    proc.send_signal(sig)
    try:
        rc = proc.wait(timeout=env.scaled(timeout))
    except subprocess.TimeoutExpired:
        b.kill()
        raise AssertionError("broker still running %.0fs after signal %d"
                             % (env.scaled(timeout), sig))
    procs.forget(proc)
    b.proc = None
    m = env.SANITIZED and SANITIZER_RE.search(b.log_text())
    if m:
        raise AssertionError("sanitizer report in broker log: %r" % m.group(0))
    return rc

