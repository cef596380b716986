#!/usr/bin/python3
"""15-tutorial-readme: the README's five-minute tutorial, step by step, with
its own command lines (only the port differs: the instance listens on an
ephemeral port instead of 61613, so the test never needs a fixed port).

1. petrel create mybroker; 2. petrel run mybroker; 3. petrel-sub/petrel-pub
and mosquitto_sub/mosquitto_pub with the printed password, and a wrong one
refused with "bad user name or password" (the petrel tools exit 3); 4. the
Python sensor and subscriber; 5. petrel-passwd adds alice, kill -HUP, alice
logs in. Petrel-only (petrel create)."""
# timeout: 120

import os

from lib import authfiles, env, procs, scripts
from lib.instance import InstanceBroker, create
from lib.testing import case, main

EXIT_REFUSED = 3  # README: "the tools exit with status 3"


def tool(name):
    return os.path.join(env.BIN, name)


def run_tool(args, timeout=20):
    return procs.run(args, env.scaled(timeout))


def step3_petrel_tools(port, pw):
    sub_args = ["-p", port, "-u", "admin", "-P", pw, "-t", "temperature", "-v", "-C", "2",
                "-d"]
    with scripts.Script(tool("petrel-sub"), sub_args, python=False) as sub:
        sub.wait_err("SUBACK")
        r = run_tool([tool("petrel-pub"), "-p", port, "-u", "admin", "-P", pw, "-t",
                      "temperature", "-q", "2", "-m", "21.5"])
        assert r.returncode == 0, r
        r = run_tool(["mosquitto_pub", "-p", port, "-u", "admin", "-P", pw, "-t",
                      "temperature", "-q", "2", "-m", "22.0"])
        assert r.returncode == 0, r
        assert sub.lines(2) == ["temperature 21.5", "temperature 22.0"]
        assert sub.wait() == 0, sub.stderr_text()


def step3_mosquitto_sub_v5(port, pw):
    args = ["-p", port, "-u", "admin", "-P", pw, "-t", "temperature", "-v", "-V", "5",
            "-C", "1", "-d"]
    # stdbuf: mosquitto_sub's stdout is a pipe here, which stdio buffers.
    with scripts.Script("/usr/bin/stdbuf", ["-oL", "mosquitto_sub"] + args, python=False,
                        name="mosquitto_sub") as sub:
        _wait_out(sub, "SUBACK")
        r = run_tool([tool("petrel-pub"), "-p", port, "-u", "admin", "-P", pw, "-t",
                      "temperature", "-q", "2", "-m", "23.5"])
        assert r.returncode == 0, r
        # -d debug lines (Client ..., Subscribed ...) share stdout with the messages.
        assert sub.lines(1, skip=lambda l: not l.startswith("temperature ")) == \
            ["temperature 23.5"]
        assert sub.wait() == 0


def _wait_out(sub, text):
    """mosquitto_sub -d writes its packet log to stdout: skip lines until
    one holds text."""
    for _ in range(50):
        if text in sub.line():
            return
    raise AssertionError("mosquitto_sub: no %r" % text)


def step3_wrong_password(port):
    for name in ("petrel-pub", "petrel-sub"):
        extra = ["-m", "x"] if name == "petrel-pub" else []
        r = run_tool([tool(name), "-p", port, "-u", "admin", "-P", "wrong", "-t",
                      "temperature"] + extra)
        assert r.returncode == EXIT_REFUSED, (name, r)
        assert "bad user name or password" in r.stderr.lower(), (name, r.stderr)
    r = run_tool(["mosquitto_pub", "-p", port, "-u", "admin", "-P", "wrong", "-t",
                  "temperature", "-m", "x"])
    assert r.returncode != 0 and "bad user name or password" in (r.stdout + r.stderr).lower(), r


def step4_python(port, pw):
    common = ["--port", port, "-u", "admin", "-P", pw]
    with scripts.Script(scripts.example("subscriber.py"), common + ["-C", "3"]) as sub:
        sub.wait_err("subscribed to temperature")
        r = scripts.run(scripts.example("sensor.py"), common + ["-C", "3", "--interval", "0.1"])
        assert r.returncode == 0, r.stderr
        assert sub.lines(3) == r.stdout.splitlines()
        assert sub.wait() == 0


def step5_add_user(b, inst):
    users = os.path.join(inst.dir, "etc", "users.properties")
    alice = [tool("petrel-pub"), "-p", str(b.port), "-u", "alice", "-P", "alice-pw",
             "-t", "alice/x", "-q", "1", "-m", "hi"]
    assert run_tool(alice).returncode == EXIT_REFUSED       # no such user yet
    authfiles.petrel_passwd_run([users, "alice"], input="alice-pw\n")
    authfiles.reload(b)                                     # kill -HUP
    # She logs in now. (The ACL gives her no topic yet: a 3.1.1 publish is
    # still acknowledged, just not delivered.)
    r = run_tool(alice)
    assert r.returncode == 0, r


@case(petrel_only="petrel create")
def readme_tutorial_steps_1_to_5():
    inst = create("mybroker")                                     # step 1
    assert "password:" in inst.output and inst.user == "admin"
    with InstanceBroker(inst) as b:                               # step 2
        port, pw = str(b.port), inst.password
        step3_petrel_tools(port, pw)                              # step 3
        step3_mosquitto_sub_v5(port, pw)
        step3_wrong_password(port)
        step4_python(port, pw)                                    # step 4
        step5_add_user(b, inst)                                   # step 5


main()
