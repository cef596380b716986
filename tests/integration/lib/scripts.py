"""Python programs as test peers: the README's examples/python scripts and
the classic tutorial's original programs (tests/integration/tutorial/).

    with scripts.Script(scripts.example("subscriber.py"), ["-p", str(b.port)]) as s:
        s.wait_err("subscribed to")               # a line on its stderr
        lines = s.lines(3)                        # the next 3 stdout lines
        rc = s.wait()                             # its exit status (bounded)
    r = scripts.run(scripts.example("sensor.py"), [...], timeout=30)  # CompletedProcess

Every program runs under /usr/bin/python3, is recorded for clean-up by PID
(lib.procs) and stopped when its block ends. `pythonpath` puts a folder
first on its sys.path (e.g. another paho-mqtt).
"""

import os
import queue
import subprocess
import threading
import time

from . import env, procs

PYTHON = "/usr/bin/python3"
EXAMPLES = os.path.join(env.REPO, "examples", "python")
TUTORIAL = os.path.join(env.ROOT, "tutorial")


def example(name):
    return os.path.join(EXAMPLES, name)


def tutorial(name):
    return os.path.join(TUTORIAL, name)


def _env(pythonpath):
    e = dict(os.environ, PYTHONUNBUFFERED="1")
    e.pop("PYTHONPATH", None)
    if pythonpath:
        e["PYTHONPATH"] = pythonpath
    return e


def run(path, args=(), timeout=30, pythonpath=None):
    """Runs the program to completion (bounded); returns CompletedProcess."""
    return procs.run([PYTHON, path] + list(args), env.scaled(timeout), env=_env(pythonpath))


class Script:
    """A program running in the background; its stdout and stderr lines are
    collected as they come. A Python program by default; python=False runs
    path itself (e.g. build/bin/petrel-sub)."""

    def __init__(self, path, args=(), pythonpath=None, name=None, python=True):
        self.name = name or os.path.basename(path)
        self.args = ([PYTHON] if python else []) + [path] + list(args)
        self.pythonpath = pythonpath
        self.out, self.err = queue.Queue(), []
        self.proc = None

    def __enter__(self):
        self.proc = procs.spawn(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env(self.pythonpath))
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out.put),
                             daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err.append),
                             daemon=True)]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @staticmethod
    def _pump(stream, put):
        for line in stream:
            put(line.rstrip("\n"))

    def stop(self):
        """Ends the program (SIGTERM, then SIGKILL) if it still runs."""
        if self.proc:
            procs.stop(self.proc, timeout=env.scaled(5))
            for t in self._threads:
                t.join(timeout=5)

    def stderr_text(self):
        return "\n".join(self.err)

    def wait_err(self, text, timeout=10):
        """Waits until a stderr line contains text; fails early if it exits."""
        deadline = time.monotonic() + env.scaled(timeout)
        while time.monotonic() < deadline:
            if any(text in l for l in self.err):
                return
            if self.proc.poll() is not None:
                self._threads[1].join(timeout=2)
                if any(text in l for l in self.err):
                    return
                break
            time.sleep(0.02)
        raise AssertionError("%s: no %r on stderr (exit status %s); stderr:\n%s"
                             % (self.name, text, self.proc.poll(), self.stderr_text()))

    def line(self, timeout=10):
        """The next stdout line."""
        try:
            return self.out.get(timeout=env.scaled(timeout))
        except queue.Empty:
            raise AssertionError("%s: no output line within %.1fs (exit status %s); stderr:\n%s"
                                 % (self.name, env.scaled(timeout), self.proc.poll(),
                                    self.stderr_text()))

    def lines(self, n, timeout=20, skip=None):
        """The next n stdout lines, all within timeout seconds; lines for
        which skip(line) is true are dropped and not counted."""
        deadline = time.monotonic() + env.scaled(timeout)
        out = []
        while len(out) < n:
            l = self.line(max(0.01, (deadline - time.monotonic()) / env.SCALE))
            if not (skip and skip(l)):
                out.append(l)
        return out

    def no_line(self, duration=0.5):
        """Asserts no further stdout line comes within duration seconds."""
        try:
            l = self.out.get(timeout=env.scaled(duration))
        except queue.Empty:
            return
        raise AssertionError("%s: expected no more output, got %r" % (self.name, l))

    def wait(self, timeout=20):
        """Its exit status, once it exits by itself (bounded wait)."""
        try:
            rc = self.proc.wait(timeout=env.scaled(timeout))
        except subprocess.TimeoutExpired:
            raise AssertionError("%s: still running after %.0fs; stderr:\n%s"
                                 % (self.name, env.scaled(timeout), self.stderr_text()))
        for t in self._threads:
            t.join(timeout=5)
        procs.forget(self.proc)
        return rc
