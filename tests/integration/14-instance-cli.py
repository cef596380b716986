#!/usr/bin/python3
"""14-instance-cli: the petrel command line (src/main.c): --version, --help,
--config-reference, `-t -c FILE`, a bad config (non-zero exit, "FILE:LINE:"
and the reason on stderr, for -t and for a real start), unknown and extra
arguments (exit 2 with the usage). Petrel-only."""
# timeout: 60

import os
import re

from lib import env, testing
from lib.instance import run_petrel
from lib.testing import case, main


def write(name, text):
    path = os.path.join(env.test_dir(), "%s-%s" % (testing.current_case(), name))
    with open(path, "w") as f:
        f.write(text)
    return path


@case(petrel_only="petrel's command line")
def version_and_help():
    for flag in ("--version", "-V"):
        r = run_petrel([flag])
        assert r.returncode == 0 and re.fullmatch(r"petrel \d+\.\d+\.\d+\S*\n", r.stdout), r
    for flag in ("--help", "-h"):
        r = run_petrel([flag])
        assert r.returncode == 0 and r.stdout.startswith("Usage: petrel"), r
        for word in ("run DIR", "create DIR", "-c", "-t", "--version", "1883", "61613"):
            assert word in r.stdout, (word, r.stdout)


@case(petrel_only="petrel's command line")
def config_reference_lists_every_option():
    r = run_petrel(["--config-reference"])
    assert r.returncode == 0, r
    for key in ("listener", "allow_anonymous", "password_file", "users_file", "acl_file",
                "log_dest", "log_type", "max_packet_size", "threads"):
        assert "| `%s` |" % key in r.stdout, key


@case(petrel_only="petrel's command line")
def test_config_accepts_a_good_file():
    path = write("good.conf", "# comment\nlistener 0 127.0.0.1\nallow_anonymous true\n"
                 "max_keepalive 120\nmax_packet_size 64k\nlog_type error\nlog_type warning\n")
    for args in (["-t", "-c", path], ["-c", path, "-t"], ["--test-config", "--config", path]):
        r = run_petrel(args)
        assert r.returncode == 0, (args, r)
        assert r.stdout.strip() == "%s: configuration OK" % path, r.stdout


BAD = [  # (text, line, words the message must hold)
    ("listener 0\nno_such_option 1\n", 2, ["no_such_option"]),
    ("listener 0\n\n# c\nmax_keepalive abc\n", 4, ["max_keepalive", "abc"]),
    ("listener 0\nallow_anonymous maybe\n", 2, ["allow_anonymous", "maybe"]),
    ("listener 70000\n", 1, ["listener"]),
    ("listener 0\nmax_packet_size 10\n", 2, ["max_packet_size"]),
    ("listener 0\nlog_type loud\n", 2, ["log_type", "loud"]),
]


@case(petrel_only="petrel's command line")
def bad_config_fails_with_file_and_line():
    for text, line, words in BAD:
        path = write("bad.conf", text)
        for args in (["-t", "-c", path], ["-c", path]):
            r = run_petrel(args, timeout=10)
            assert r.returncode != 0, (text, args, r)
            assert "%s:%d:" % (path, line) in r.stderr, (text, r.stderr)
            for w in words:
                assert w in r.stderr, (text, w, r.stderr)
            assert "listening" not in r.stderr + r.stdout, r


@case(petrel_only="petrel's command line")
def missing_config_file_and_no_listener():
    missing = os.path.join(env.test_dir(), "does-not-exist.conf")
    r = run_petrel(["-c", missing])
    assert r.returncode != 0 and missing in r.stderr, r
    path = write("nolistener.conf", "allow_anonymous true\n")
    r = run_petrel(["-c", path])
    assert r.returncode != 0 and "no listener" in r.stderr, r


@case(petrel_only="petrel's command line")
def unknown_and_extra_arguments_exit_2():
    good = write("good.conf", "listener 0 127.0.0.1\n")
    for args in (["--frobnicate"], ["frob"], ["-c"], ["-t"], ["run"], ["create"],
                 ["run", "a", "b"], ["create", "a", "b"], ["-c", good, "extra"],
                 ["-x"]):
        r = run_petrel(args, timeout=10)
        assert r.returncode == 2, (args, r)
        assert "Usage:" in r.stderr or "needs" in r.stderr, (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)
    r = run_petrel(["--frobnicate"])
    assert "'--frobnicate'" in r.stderr, r.stderr


main()
