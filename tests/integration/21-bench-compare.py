#!/usr/bin/python3
"""21-bench-compare: bench/compare.sh runs end to end in its quick mode on
one scenario against one broker, prints the Markdown table with a result
in it, writes the same table to -o FILE, and leaves no process behind."""
# timeout: 60

import os
import re

from lib import env, procs
from lib.testing import case, log, main

SCRIPT = os.path.join(env.REPO, "bench", "compare.sh")


def compare(*args, timeout=40):
    tmp = os.path.join(env.test_dir(), "compare-tmp")
    os.makedirs(tmp, exist_ok=True)
    envv = dict(os.environ, TMPDIR=tmp)
    r = procs.run(["bash", SCRIPT, "--bin", env.BIN] + list(args), timeout=env.scaled(timeout),
                  env=envv)
    log("compare.sh %s -> %s\n--- stdout\n%s--- stderr\n%s" % (" ".join(args), r.returncode,
                                                               r.stdout, r.stderr))
    return r, tmp


@case
def quick_run_prints_the_table():
    broker = "mosquitto" if env.is_mosquitto() else "petrel"
    out = os.path.join(env.test_dir(), "table.md")
    r, tmp = compare("--quick", "--only", broker, "-s", "fanin-q1", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "| scenario | what | broker | delivered msg/s |" in r.stdout, r.stdout
    row = [l for l in r.stdout.splitlines() if l.startswith("| fanin-q1 ")]
    assert len(row) == 1, r.stdout
    cells = [c.strip() for c in row[0].strip("|").split("|")]
    assert cells[2] == broker, cells
    assert re.fullmatch(r"\d+", cells[3]) and int(cells[3]) > 0, cells  # delivered msg/s
    assert re.fullmatch(r"\d+", cells[4]), cells  # p99
    assert re.fullmatch(r"\d+\.\d+", cells[5]), cells  # CPU s per M messages
    assert cells[7] == "1/1", cells
    with open(out) as f:
        assert f.read() == r.stdout
    assert os.listdir(tmp) == [], "compare.sh left files: %s" % os.listdir(tmp)


@case
def scaling_runs_petrel_with_two_loops_unpinned():
    if env.is_mosquitto():
        log("skipped: Petrel's own mode")
        return
    r, tmp = compare("--quick", "--scaling", "--only", "petrel-t2", "-s", "fanin-q0")
    assert r.returncode == 0, r.stderr
    row = [l for l in r.stdout.splitlines() if l.startswith("| fanin-q0 ")]
    assert len(row) == 1, r.stdout
    cells = [c.strip() for c in row[0].strip("|").split("|")]
    assert cells[2] == "petrel-t2" and cells[7] == "1/1", cells
    assert re.fullmatch(r"\d+", cells[3]) and int(cells[3]) > 0, cells
    assert os.listdir(tmp) == [], "compare.sh left files: %s" % os.listdir(tmp)


@case
def bad_arguments_are_refused():
    r, _ = compare("-s", "no-such-scenario")
    assert r.returncode == 1 and "unknown scenario 'no-such-scenario'" in r.stderr, r.stderr
    r, _ = compare("--broker", "nonsense")
    assert r.returncode == 1 and "expected NAME=CMD:PORT" in r.stderr, r.stderr


main()
