"""Cases, skips and the main() of a test file.

A test file registers its cases with @case and ends with main():

    from lib.testing import case, main

    @case
    def empty_client_id_is_assigned():
        ...

    @case(petrel_only="mosquitto waits for PUBREL")
    def qos2_forwarded_on_publish():
        ...

    main()

main() runs the cases in order (or only those named on the command line),
prints one line per case, and exits 0 (all passed or skipped, at least one
passed), 77 (all skipped) or 1 (a case failed). A case fails by raising
(assert, Timeout, BrokerError, ...); it skips by raising Skip, e.g. through
petrel_only() or a Broker config with a Petrel-only key in mosquitto mode.
"""

import os
import signal
import sys
import time
import traceback

from . import env

SKIP_EXIT = 77


class Skip(Exception):
    """Raised to skip the current case; the message says why."""


_cases = []
_current = {"name": None, "brokers": []}


def case(fn=None, *, petrel_only=None):
    """Registers fn as a case. petrel_only="why": skipped against mosquitto."""
    def register(f):
        _cases.append((f.__name__, f, petrel_only))
        return f
    return register(fn) if fn is not None else register


def petrel_only(why):
    """Skips the current case when the suite runs against mosquitto."""
    if env.is_mosquitto() and not env.FORCE_PETREL_ONLY:
        raise Skip("Petrel-only: " + why)


def skip(why):
    raise Skip(why)


def current_case():
    """The name of the case running now (brokers name their folders after it)."""
    return _current["name"] or "main"


def note_broker(broker):
    """Called by Broker.start() so a failing case can show its brokers' logs."""
    _current["brokers"].append(broker)


def log(*args):
    """Prints a line of test output (shown when the file fails)."""
    print(*args, flush=True)


def _on_sigterm(_sig, _frame):
    # run.py sends SIGTERM on timeout: unwind so context managers stop brokers.
    raise SystemExit("terminated (timeout)")


def _show_logs(brokers):
    for b in brokers:
        text = b.log_text()
        lines = text.splitlines()[-40:]
        print("--- last %d lines of %s" % (len(lines), b.log_path))
        print("\n".join(lines))


FAILED_LOGS = "failed-logs.txt"


def _note_failed_logs(brokers):
    # run.py prints the tails of the logs listed here (all logs if none).
    with open(os.path.join(env.test_dir(), FAILED_LOGS), "a") as f:
        for b in brokers:
            f.write(b.log_path + "\n")


def _run_one(name, fn, why):
    _current["name"], _current["brokers"] = name, []
    t0 = time.monotonic()
    try:
        if why:
            petrel_only(why)
        fn()
        status = "ok"
    except Skip as e:
        status = "skip (%s)" % e
    except Exception:  # a failed case must not stop the others
        traceback.print_exc(file=sys.stdout)
        if env.UNDER_RUNNER:
            _note_failed_logs(_current["brokers"])
        else:
            _show_logs(_current["brokers"])
        status = "FAIL"
    print("case %-50s %s %.2fs" % (name, status, time.monotonic() - t0), flush=True)
    return status


def main():
    """Runs the registered cases; exits with 0, 1 or 77 (see module comment)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    wanted = set(sys.argv[1:])
    results = [_run_one(n, f, w) for n, f, w in _cases if not wanted or n in wanted]
    failed = [r for r in results if r == "FAIL"]
    passed = [r for r in results if r == "ok"]
    if failed:
        if not env.UNDER_RUNNER:
            print("logs kept in", env.test_dir())
        sys.exit(1)
    env.remove_own_test_dir()
    if results and not passed:
        reasons = sorted({r[len("skip ("):-1] for r in results})
        print("SKIP:", "; ".join(reasons))
        sys.exit(SKIP_EXIT)
    sys.exit(0)


def sleep(seconds):
    """time.sleep stretched for sanitized builds (see env.SCALE)."""
    time.sleep(env.scaled(seconds))


def wait_until(pred, timeout=5.0, interval=0.02, what="condition"):
    """Polls pred() until it is true, for at most timeout (scaled) seconds.
    Returns pred()'s value or raises AssertionError naming `what`."""
    deadline = time.monotonic() + env.scaled(timeout)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (env.scaled(timeout), what))
        time.sleep(interval)


def unique(prefix):
    """A client id / topic prefix unique to this process and case."""
    return "%s-%d-%s" % (prefix, os.getpid(), current_case())
