#!/usr/bin/python3
"""13-cli-exit: the exit statuses scripts rely on (see --help): -C and -W,
a bad password (CONNACK in words), a closed port, bad arguments, SIGTERM,
a broker that goes away; keep-alive pings; IPv6 literals."""
# timeout: 120

import os
import signal
import subprocess
import time

from cli_support import (BROKER_KIND, EXIT_NETWORK, EXIT_OK, EXIT_PROTOCOL, EXIT_REFUSED, EXIT_TIMEOUT,
                         EXIT_USAGE, SCALE, Broker, Skip, Sub, base_dir, case, eq, free_port,
                         ipv6_available, main, run)


@case
def count_and_timeout():
    with Broker() as b:
        with Sub(b, ["-t", "cli/c", "-C", "2"]) as s:
            for i in range(3):
                run("petrel-pub", ["-t", "cli/c", "-m", str(i), "-q", "1"], broker=b)
            eq(s.finish(), EXIT_OK, "-C 2 reached")
        eq(s.out, b"0\n1\n", "exactly two printed")
        t0 = time.monotonic()
        rc, out, _ = run("petrel-sub", ["-t", "cli/none", "-W", "1"], broker=b)
        eq((rc, out), (EXIT_TIMEOUT, b""), "-W 1 without messages")
        assert time.monotonic() - t0 < 5 * SCALE, "-W 1 took too long"
        # -W counts the whole run: one message out of two, then the timeout.
        with Sub(b, ["-t", "cli/w", "-C", "2", "-W", "2"]) as s:
            run("petrel-pub", ["-t", "cli/w", "-m", "only"], broker=b)
            eq(s.finish(), EXIT_TIMEOUT, "-W before -C")
        eq(s.out, b"only\n", "the one message")


def password_broker():
    path = os.path.join(base_dir(), "passwd")
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run(["mosquitto_passwd", "-c", "-b", path, "alice", "secret"], check=True,
                   timeout=30, stdin=subprocess.DEVNULL)
    return Broker(conf=["allow_anonymous false", "password_file " + path])


@case
def bad_password_is_refused_in_words():
    with password_broker() as b:
        for version, code, mosq in (("311", "(4)", "(5)"), ("5", "(0x86)", "(0x87)")):
            for name in ("petrel-pub", "petrel-sub"):
                extra = ["-m", "x"] if name == "petrel-pub" else ["-W", "5"]
                rc, _, err = run(name, ["-V", version, "-u", "alice", "-P", "wrong", "-t", "t"]
                                 + extra, broker=b)
                eq(rc, EXIT_REFUSED, "%s v%s status" % (name, version))
                words = "Connection refused: bad user name or password " + code
                # mosquitto answers a bad password with "not authorized".
                if BROKER_KIND == "mosquitto":
                    words = "Connection refused: not authorized " + mosq
                assert words in err, err
        rc, _, err = run("petrel-pub", ["-u", "alice", "-P", "secret", "-t", "t", "-m", "x",
                                        "-q", "2"], broker=b)
        eq(rc, EXIT_OK, "right password (%s)" % err)


@case
def refused_by_acl():
    # A v5 PUBACK/PUBREC code >= 0x80 refuses the message (tables 3-4, 3-5):
    # the publisher says so and exits 3; a SUBACK refusing every filter
    # makes petrel-sub exit 3; one refusal of two is only reported.
    acl = os.path.join(base_dir(), "acl")
    with open(acl, "w") as f:
        f.write("topic readwrite open/#\n")
    with Broker(conf=["acl_file " + acl]) as b:
        for qos, ack in (("1", "PUBACK"), ("2", "PUBREC")):
            rc, _, err = run("petrel-pub", ["-V", "5", "-q", qos, "-t", "closed/x", "-m", "x"],
                             broker=b)
            eq(rc, EXIT_REFUSED, "v5 QoS %s publish to a denied topic" % qos)
            assert "message 1 refused by the broker (%s): Not authorized (0x87)" % ack in err, err
        if BROKER_KIND == "mosquitto":
            return  # mosquitto grants the subscription and filters on delivery
        for version in ("311", "5"):
            rc, _, err = run("petrel-sub", ["-V", version, "-t", "closed/x", "-W", "5"],
                             broker=b)
            eq(rc, EXIT_REFUSED, "v%s subscription refused" % version)
            assert "subscription to 'closed/x' refused" in err, err
        rc, _, err = run("petrel-sub", ["-t", "closed/x", "-t", "open/x", "-W", "1"], broker=b)
        eq(rc, EXIT_TIMEOUT, "one of two refused")
        assert "subscription to 'closed/x' refused" in err, err


@case
def closed_port_cannot_connect():
    port = str(free_port())
    rc, _, err = run("petrel-pub", ["-h", "127.0.0.1", "-p", port, "-t", "t", "-m", "x"])
    eq(rc, EXIT_NETWORK, "pub status")
    assert "cannot connect" in err, err
    rc, _, err = run("petrel-sub", ["-h", "127.0.0.1", "-p", port, "-t", "t"])
    eq(rc, EXIT_NETWORK, "sub status")


@case
def bad_arguments():
    bad = [
        ("petrel-pub", ["-t", "t", "-m", "x", "--no-such-flag"], "unknown option"),
        ("petrel-pub", ["-t", "t", "-m", "x", "-q", "3"], "QoS"),
        ("petrel-pub", ["-m", "x"], "no topic"),
        ("petrel-pub", ["-t", "a/+", "-m", "x"], "not a valid topic name"),
        ("petrel-pub", ["-t", "t"], "no message"),
        ("petrel-pub", ["-t", "t", "-m", "x", "-n"], "only one of"),
        ("petrel-pub", ["-t", "t", "-m", "x", "-p", "70000"], "-p"),
        ("petrel-pub", ["-t", "t", "-m", "x", "-c"], "needs a client id"),
        ("petrel-pub", ["-t", "t", "-m", "x", "-V", "4"], "unknown MQTT version"),
        ("petrel-pub", ["-t", "t", "-m", "x", "-V", "311", "-D", "publish", "content-type",
                        "a"], "needs MQTT 5"),
        ("petrel-sub", ["-v"], "no topic"),
        ("petrel-sub", ["-t", "a/#/b"], "not a valid topic filter"),
        ("petrel-sub", ["-t", "t", "-C", "0"], "-C"),
        ("petrel-sub", ["-t", "t", "-m", "x"], "unknown option"),
        ("petrel-sub", ["-t", "t", "--will-qos", "1"], "--will-topic"),
        ("petrel-sub", ["-t", "t", "-D", "connect", "user-property", "k"], "user-property"),
    ]
    for name, args, words in bad:
        rc, out, err = run(name, ["-p", "1"] + args)
        eq(rc, EXIT_USAGE, "%s %s" % (name, args))
        assert words in err and "Usage:" in err, (args, err)
        eq(out, b"", "nothing on stdout")
    # An unreadable message file is an argument error too (before connecting).
    rc, _, err = run("petrel-pub", ["-p", "1", "-t", "t", "-f", os.path.join(base_dir(), "none")])
    eq(rc, EXIT_USAGE, "missing -f file")
    assert "cannot open" in err, err
    for name in ("petrel-pub", "petrel-sub"):
        rc, out, _ = run(name, ["--help"])
        eq(rc, EXIT_OK, "--help")
        assert b"Exit status:" in out and b"Usage:" in out, out
        rc, out, _ = run(name, ["--version"])
        eq(rc, EXIT_OK, "--version")
        assert out.startswith(name.encode() + b" "), out


@case
def sigterm_and_sigint_stop_cleanly():
    with Broker() as b:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with Sub(b, ["-t", "cli/sig"]) as s:
                os.kill(s.proc.pid, sig)
                eq(s.finish(), EXIT_OK, "status after %s" % sig)
            assert "sending DISCONNECT" in s.err_text, s.err_text


@case
def broker_gone_is_reported():
    with Broker() as b:
        with Sub(b, ["-t", "cli/gone"]) as s:
            b.kill()
            eq(s.finish(), EXIT_PROTOCOL, "status when the broker dies")
        assert "connection lost" in s.err_text, s.err_text


@case
def keep_alive_pings():
    # [MQTT-3.1.2-23] (3.1.1): with nothing else to send, the client sends
    # PINGREQ within the keep-alive period.
    with Broker() as b:
        rc, _, err = run("petrel-sub", ["-t", "cli/ka", "-k", "1", "-W", "3", "-d"], broker=b)
        eq(rc, EXIT_TIMEOUT, "status")
        assert err.count("sending PINGREQ") >= 2, err
        assert err.count("received PINGRESP") >= 2, err


@case
def ipv6_literal_host():
    if not ipv6_available():
        raise Skip("no ::1 on this machine")
    with Broker(ipv6=True) as b:
        for host in ("::1", "[::1]"):
            with Sub(b, ["-t", "cli/v6", "-C", "1"]) as s:
                rc, _, err = run("petrel-pub", ["-h", host, "-p", str(b.port6), "-t", "cli/v6",
                                                "-m", "six", "-q", "1"])
                eq(rc, EXIT_OK, "pub over %s (%s)" % (host, err))
                eq(s.finish(), EXIT_OK, "sub")
            eq(s.out, b"six\n", "output")
        rc, out, err = run("petrel-sub", ["-h", "::1", "-p", str(b.port6), "-t", "cli/v6x",
                                          "-W", "1"])
        eq(rc, EXIT_TIMEOUT, "sub over ::1 (%s)" % err)


main()
