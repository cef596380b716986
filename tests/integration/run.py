#!/usr/bin/python3
"""Runs Petrel's integration tests: every tests/integration/NN-area-what.py.

Each file runs as its own subprocess (/usr/bin/python3 or this interpreter)
with a time limit, in parallel (-j). A file prints what it checks and exits
0 (ok), 77 (skipped) or anything else (failed). See README.md.

    tests/integration/run.py --bin build/bin            # the whole suite
    tests/integration/run.py -k 03-publish -k retain    # files matching
    tests/integration/run.py --broker mosquitto         # the same against mosquitto
    tests/integration/run.py --bin build-asan/bin --sanitized --threads 2
"""

import argparse
import concurrent.futures
import fnmatch
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from lib import procs  # noqa: E402

FILE_RE = re.compile(r"^\d\d-[A-Za-z0-9_-]+\.py$")
TIMEOUT_RE = re.compile(r"^#\s*timeout:\s*(\d+)", re.M)
DEFAULT_TIMEOUT = 60
SKIP_EXIT = 77
LOG_TAIL = 40
# paho-mqtt comes from Debian, so test files run under the system Python.
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Petrel integration tests")
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "bin"),
                    help="directory with the petrel binaries (default: build/bin)")
    ap.add_argument("--broker", choices=("petrel", "mosquitto"), default="petrel",
                    help="broker under test (mosquitto: /usr/sbin/mosquitto; "
                         "Petrel-only tests skip)")
    ap.add_argument("--threads", type=int, help="write `threads N` into every Petrel config")
    ap.add_argument("--persistence", action="store_true",
                    help="write `persistence true` into every Petrel config")
    ap.add_argument("--sanitized", action="store_true",
                    help="ASan/UBSan broker: longer timeouts, sanitizer reports fail")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN",
                    help="run files whose name contains PATTERN (or matches the glob); "
                         "repeatable")
    ap.add_argument("-j", type=int, default=2, help="files run in parallel (default 2)")
    ap.add_argument("-v", action="store_true", help="print every file's output")
    ap.add_argument("--keep", action="store_true", help="keep the temp folders")
    ap.add_argument("--list", action="store_true", help="list the selected files and exit")
    return ap.parse_args(argv)


def select_files(patterns):
    names = sorted(n for n in os.listdir(HERE) if FILE_RE.match(n))
    if not patterns:
        return names
    return [n for n in names
            if any(p in n or fnmatch.fnmatch(n, p) for p in patterns)]


def file_timeout(path, sanitized):
    """`# timeout: N` in a file's first 2 KiB overrides the default limit."""
    with open(path) as f:
        m = TIMEOUT_RE.search(f.read(2048))
    t = int(m.group(1)) if m else DEFAULT_TIMEOUT
    return t * 3 if sanitized else t


def broker_logs(test_dir):
    """The logs of the brokers of the failing cases (testing.py lists them),
    or every broker log of the file (a timeout, a crash of the file)."""
    listed = os.path.join(test_dir, "failed-logs.txt")
    if os.path.exists(listed):
        with open(listed) as f:
            return [l.strip() for l in f if l.strip()]
    found = []
    for root, _dirs, files in sorted(os.walk(test_dir)):
        if "broker.log" in files:
            found.append(os.path.join(root, "broker.log"))
    return found


def broker_log_tails(test_dir):
    out = []
    for path in broker_logs(test_dir):
        if os.path.exists(path):
            with open(path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()[-LOG_TAIL:]
            out.append("--- last %d lines of %s\n%s" % (len(lines), path, "\n".join(lines)))
    return "\n".join(out)


class Result:
    def __init__(self, name, status, seconds, output="", detail=""):
        self.name, self.status, self.seconds = name, status, seconds
        self.output, self.detail = output, detail


def stop_test(proc):
    """Timeout: SIGTERM lets the file stop its brokers; SIGKILL if it hangs."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def run_file(name, args, base_dir):
    test_dir = os.path.join(base_dir, name[:-3])
    os.makedirs(test_dir)
    envv = dict(os.environ, PETREL_BIN=os.path.abspath(args.bin), PETREL_BROKER=args.broker,
                PETREL_TEST_DIR=test_dir, PETREL_RUNNER="1", PYTHONDONTWRITEBYTECODE="1",
                NODE_PATH=os.path.join(REPO, "tests", "node_modules"))
    if args.threads:
        envv["PETREL_THREADS"] = str(args.threads)
    if args.persistence:
        envv["PETREL_PERSISTENCE"] = "1"
    if args.sanitized:
        envv["PETREL_SANITIZED"] = "1"
    path = os.path.join(HERE, name)
    limit = file_timeout(path, args.sanitized)
    t0 = time.monotonic()
    with open(os.path.join(test_dir, "output.txt"), "w+") as out:
        proc = subprocess.Popen([PYTHON, path], cwd=HERE, env=envv,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        timed_out = False
        try:
            rc = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            stop_test(proc)
            rc = proc.returncode
        out.seek(0)
        output = out.read()
    seconds = time.monotonic() - t0
    leftovers = procs.reap_leftovers(test_dir)
    detail = ""
    if timed_out:
        status = "FAIL"
        detail = "timed out after %ds" % limit
    elif rc == SKIP_EXIT:
        status = "skip"
        m = re.search(r"^SKIP: (.*)$", output, re.M)
        detail = m.group(1) if m else ""
    elif rc == 0 and not leftovers:
        status = "ok"
        skipped = len(re.findall(r"^case \S+\s+skip", output, re.M))
        detail = "%d case(s) skipped" % skipped if skipped else ""
    else:
        status = "FAIL"
        detail = "exit status %s" % rc
    if leftovers:
        status = "FAIL"
        detail += "; left processes running (killed): %s" % "; ".join(leftovers)
    return Result(name, status, seconds, output, detail)


def report_failure(r, base_dir):
    print("=" * 72)
    print("%s: %s" % (r.name, r.detail))
    print(r.output.rstrip())
    tails = broker_log_tails(os.path.join(base_dir, r.name[:-3]))
    if tails:
        print(tails)
    print("=" * 72, flush=True)


def main(argv):
    args = parse_args(argv)
    files = select_files(args.k)
    if args.list:
        print("\n".join(files))
        return 0
    if not files:
        print("no test files match", args.k)
        return 2
    if args.broker == "petrel" and not os.access(os.path.join(args.bin, "petrel"), os.X_OK):
        print("no petrel binary in %s (build first, or pass --bin DIR)" % args.bin)
        return 2
    base_dir = tempfile.mkdtemp(prefix="petrel-itest-")
    print("integration tests: %d file(s), broker %s%s%s, -j %d" % (
        len(files), args.broker, " threads %d" % args.threads if args.threads else "",
        " sanitized" if args.sanitized else "", args.j), flush=True)
    t0 = time.monotonic()
    lock = threading.Lock()
    results = []

    def one(name):
        r = run_file(name, args, base_dir)
        with lock:
            results.append(r)
            extra = "  (%s)" % r.detail if r.detail else ""
            print("%-4s %-44s %6.1fs%s" % (r.status, r.name, r.seconds, extra), flush=True)
            if r.status == "FAIL":
                report_failure(r, base_dir)
            elif args.v:
                print(r.output.rstrip(), flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        list(pool.map(one, files))
    failed = sorted(r.name for r in results if r.status == "FAIL")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("ok", "FAIL", "skip")}
    print("\n%d passed, %d failed, %d skipped in %.1fs" % (
        counts["ok"], counts["FAIL"], counts["skip"], time.monotonic() - t0))
    if failed:
        print("failed: " + " ".join(failed))
    if failed or args.keep:
        print("test folders kept in", base_dir)
    else:
        shutil.rmtree(base_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
