#!/usr/bin/python3
"""14-instance-logging: `log_dest` (stderr, stdout, none, file PATH: appended
to) and `log_type` (error, warning, notice, information, debug, all, none;
the first line replaces the default set, later lines add to it). These
configs hide the `listening on` line the harness reads the port from, so
the brokers here listen on a port picked by the test (FixedPortBroker).
Log text is Petrel's: Petrel-only."""
# timeout: 90

import os
import re
import signal
import subprocess

from lib import client, env, procs, testing
from lib.broker import free_port
from lib.instance import FixedPortBroker, petrel_exe, run_petrel
from lib.testing import case, main

LEVEL_RE = re.compile(r"^\S+Z (error|warning|notice|info|debug): ", re.M)
PETREL = "the log text and log_type names are Petrel's"


def levels(text):
    return set(LEVEL_RE.findall(text))


def activity(b, client_id="act"):
    """A connection, a subscribe and a publish, then a clean disconnect:
    info lines (client connected/disconnected) and debug lines (new
    connection, connection closed)."""
    c = client.connect(b, client_id, version=5)
    c.subscribe("t", qos=1)
    c.publish("t", b"x", qos=1)
    c.expect_publish("t", b"x", qos=1)
    c.disconnect()


def broken_reload(b):
    """An error line: a reload that fails (the ACL file is broken)."""
    b.write_file("acl", "nonsense line\n")
    b.reload()


def logged(conf):
    """Runs a broker with log_dest file plus conf, does some activity, stops
    it; returns (file log text, stderr text)."""
    b = FixedPortBroker(conf=["log_dest file {dir}/petrel.log"] + conf)
    with b:
        activity(b)
    return _read(b.path("petrel.log")), b.log_text()


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


@case(petrel_only=PETREL)
def log_dest_file_gets_the_log_and_stderr_nothing():
    text, stderr = logged([])
    assert "listening on 127.0.0.1 port" in text, text
    assert re.search(r"info: client connected: id=act ", text), text
    assert "stopped" in text.splitlines()[-1], text
    assert LEVEL_RE.search(stderr) is None, stderr
    assert levels(text) == {"notice", "info"}, levels(text)  # the default set


@case(petrel_only=PETREL)
def log_dest_file_appends_across_restarts():
    b = FixedPortBroker(conf=["log_dest file {dir}/petrel.log"])
    with b:
        b.restart()
    text = _read(b.path("petrel.log"))
    assert len(re.findall(r"notice: petrel \S+ running", text)) == 2, text


@case(petrel_only=PETREL)
def log_dest_file_that_cannot_be_opened():
    d = os.path.join(env.test_dir(), "no-such-dir")
    path = os.path.join(env.test_dir(), "unwritable.conf")
    with open(path, "w") as f:
        f.write("listener 0 127.0.0.1\nlog_dest file %s/petrel.log\n" % d)
    r = run_petrel(["-c", path], timeout=10)
    assert r.returncode == 1, r
    assert "cannot open log file %s/petrel.log" % d in r.stderr, r.stderr


@case(petrel_only=PETREL)
def log_dest_none_logs_nothing():
    b = FixedPortBroker(conf=["log_dest none"])
    with b:
        activity(b)
    assert b.log_text() == "", b.log_text()


@case(petrel_only=PETREL)
def log_dest_stdout():
    port = free_port()
    d = os.path.join(env.test_dir(), "stdout-case")
    os.makedirs(d)
    conf = os.path.join(d, "broker.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\nlog_dest stdout\n" % port)
    out, err = os.path.join(d, "out"), os.path.join(d, "err")
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = procs.spawn([petrel_exe(), "-c", conf], cwd=d, stdin=subprocess.DEVNULL,
                           stdout=fo, stderr=fe)
    try:
        c = testing.wait_until(lambda: _try_connect(port), 10, what="petrel to listen")
        c.disconnect()
    finally:
        rc, killed = procs.stop(proc, timeout=env.scaled(10), sig=signal.SIGTERM)
    assert rc == 0 and not killed, rc
    text, errs = _read(out), _read(err)
    assert "listening on 127.0.0.1 port %d" % port in text and "client connected" in text, text
    assert LEVEL_RE.search(errs) is None, errs


def _try_connect(port):
    try:
        return client.connect(("127.0.0.1", port), "stdout-client")
    except OSError:
        return None


# (log_type lines, levels that must appear, levels that must not)
TYPES = [
    (["log_type error"], {"error"}, {"warning", "notice", "info", "debug"}),
    (["log_type warning"], {"warning"}, {"error", "notice", "info", "debug"}),
    (["log_type notice"], {"notice"}, {"info", "debug"}),
    (["log_type notice", "log_type information"], {"notice", "info"}, {"debug"}),
    (["log_type error", "log_type debug"], {"error", "debug"}, {"notice", "info"}),
    (["log_type all"], {"error", "warning", "notice", "info", "debug"}, set()),
    (["log_type none"], set(), {"error", "warning", "notice", "info", "debug"}),
]


@case(petrel_only=PETREL)
def log_type_filters_levels():
    # Each broker logs every level: a warning at start (a plain-text
    # password), notice and info lines, debug lines (connections), and an
    # error (a reload with a broken ACL).
    for conf, want, unwanted in TYPES:
        b = FixedPortBroker(conf=["log_dest file {dir}/petrel.log", "acl_file {dir}/acl",
                                  "users_file {dir}/users.properties"] + conf,
                            files={"acl": "topic readwrite #\n",
                                   "users.properties": "plain=text\n"})
        with b:
            activity(b, "lt")
            broken_reload(b)
            if "error" in want:
                testing.wait_until(lambda: "reload:" in _read(b.path("petrel.log")), 5,
                                   what="the failed reload in the log")
            else:
                testing.sleep(0.3)
        have = levels(_read(b.path("petrel.log")))
        assert want <= have and not (unwanted & have), (conf, have)


main()
