#!/usr/bin/python3
"""15-tutorial-examples: the README tutorial's Python programs,
examples/python/sensor.py and subscriber.py, end to end: against an instance
made by `petrel create` with the admin password it printed (Petrel-only),
and against a broker with a mosquitto_passwd password file (both brokers).
N readings are sent and each is printed once, in order; a refusal is
explained in words and gives the documented exit status (3: CONNACK, 4:
SUBACK, 1: no broker, 2: bad arguments)."""
# timeout: 180

import os

from lib import authfiles, env, pahoclient, scripts, testing
from lib.broker import Broker, free_port
from lib.instance import InstanceBroker, create
from lib.testing import case, main

READINGS = 5


def login(user, password):
    return ["-u", user, "-P", password]


def round_trip(b, creds, version="311", pythonpath=None, topic="temperature"):
    """subscriber.py -C N, then sensor.py -C N: the sensor's confirmed
    readings are exactly what the subscriber prints, in order."""
    common = ["-h", b.host, "-p", str(b.port), "-V", version, "-t", topic] + creds
    with scripts.Script(scripts.example("subscriber.py"), common + ["-C", str(READINGS)],
                        pythonpath=pythonpath) as sub:
        sub.wait_err("subscribed to %s (QoS 2)" % topic)
        r = scripts.run(scripts.example("sensor.py"),
                        common + ["-C", str(READINGS), "--interval", "0.05"],
                        timeout=60, pythonpath=pythonpath)
        assert r.returncode == 0, "sensor.py: status %d\n%s" % (r.returncode, r.stderr)
        sent = r.stdout.splitlines()
        assert len(sent) == READINGS and all(l.startswith(topic + " ") for l in sent), sent
        got = sub.lines(READINGS)
        assert got == sent, "sensor sent %r\nsubscriber printed %r" % (sent, got)
        assert sub.wait() == 0, sub.stderr_text()


def passwd_broker(users, acl=None):
    """A broker (either kind) with a password_file from mosquitto_passwd,
    and an acl_file with the text acl if given."""
    conf = ["allow_anonymous false", "password_file {dir}/passwd"]
    files = {}
    if acl is not None:
        conf.append("acl_file {dir}/acl")
        files["acl"] = acl
    b = Broker(conf=conf, files=files)
    os.makedirs(b.dir, exist_ok=True)
    for i, (user, password) in enumerate(users):
        authfiles.mosquitto_passwd(b.path("passwd"), user, password, create=i == 0)
    return b


def expect_refusal(b, program, creds, version, status, text, pythonpath=None):
    args = ["-p", str(b.port), "-V", version, "-C", "1"] + creds
    r = scripts.run(scripts.example(program), args, timeout=30, pythonpath=pythonpath)
    assert r.returncode == status, "%s %s: status %d, expected %d\n%s" % (
        program, args, r.returncode, status, r.stderr)
    assert text in r.stderr, "%s: %r not in stderr:\n%s" % (program, text, r.stderr)
    assert r.stdout == "", r.stdout


@case
def examples_with_petrel_create_instance():
    pahoclient.require()
    inst = create("mybroker")
    with InstanceBroker(inst) as b:
        for version in ("311", "5"):
            round_trip(b, login(inst.user, inst.password), version)


@case
def examples_with_mosquitto_password_file():
    pahoclient.require()
    with passwd_broker([("sensor", "s3nsor"), ("viewer", "v1ewer")]) as b:
        common = ["-h", b.host, "-p", str(b.port)]
        with scripts.Script(scripts.example("subscriber.py"),
                            common + login("viewer", "v1ewer") + ["-C", str(READINGS)]) as sub:
            sub.wait_err("subscribed to temperature")
            r = scripts.run(scripts.example("sensor.py"), common + login("sensor", "s3nsor")
                            + ["-C", str(READINGS), "--interval", "0"], timeout=60)
            assert r.returncode == 0, r.stderr
            assert sub.lines(READINGS) == r.stdout.splitlines()
            assert sub.wait() == 0


@case
def wrong_password_is_explained_exit_3():
    pahoclient.require()
    # Petrel answers a wrong password as the README says: 4 / 0x86 "bad user
    # name or password". mosquitto 2.0 answers 5 / 0x87 "not authorized".
    if env.is_mosquitto():
        v3, v5 = "not authorized (CONNACK code 5)", "not authorized (CONNACK reason code 0x87)"
    else:
        v3 = "bad user name or password (CONNACK code 4)"
        v5 = "bad user name or password (CONNACK reason code 0x86)"
    with passwd_broker([("sensor", "s3nsor")]) as b:
        for creds in (login("sensor", "wrong"), login("nobody", "s3nsor")):
            for program in ("sensor.py", "subscriber.py"):
                expect_refusal(b, program, creds, "311", 3, "refused the connection: " + v3)
                expect_refusal(b, program, creds, "5", 3, "refused the connection: " + v5)


@case
def anonymous_refused_is_explained_exit_3():
    pahoclient.require()
    with passwd_broker([("sensor", "s3nsor")]) as b:
        for program in ("sensor.py", "subscriber.py"):
            expect_refusal(b, program, [], "311", 3, "not authorized (CONNACK code 5)")
            expect_refusal(b, program, [], "5", 3, "not authorized (CONNACK reason code 0x87)")


@case(petrel_only="mosquitto 2.0 grants a subscription its acl_file denies, then delivers "
                  "nothing on it")
def denied_subscription_is_explained_exit_4():
    pahoclient.require()
    acl = "user sensor\ntopic write temperature\n"
    with passwd_broker([("sensor", "s3nsor")], acl) as b:
        creds = login("sensor", "s3nsor")
        expect_refusal(b, "subscriber.py", creds, "311", 4,
                       "subscription to temperature refused (SUBACK code 0x80")
        expect_refusal(b, "subscriber.py", creds, "5", 4,
                       "subscription to temperature not authorized (SUBACK reason code 0x87)")


@case
def usage_and_unreachable_broker():
    pahoclient.require()
    for program in ("sensor.py", "subscriber.py"):
        r = scripts.run(scripts.example(program), ["--help"])
        assert r.returncode == 0 and "--port" in r.stdout and "--client-id" in r.stdout, r
        r = scripts.run(scripts.example(program), ["--qos", "3"])
        assert r.returncode == 2 and "invalid choice" in r.stderr, r
        r = scripts.run(scripts.example(program), ["--no-such-option"])
        assert r.returncode == 2, r
        closed = free_port()
        r = scripts.run(scripts.example(program), ["-p", str(closed)])
        assert r.returncode == 1 and "cannot connect to localhost:%d" % closed in r.stderr, r


@case
def examples_with_paho2():
    # Only where a paho-mqtt 2.x is at hand (PETREL_PAHO2: the folder that
    # holds its paho/ package); Debian 12 has 1.6.
    path = os.environ.get("PETREL_PAHO2")
    if not path or not os.path.isdir(os.path.join(path, "paho")):
        testing.skip("no paho-mqtt 2.x (set PETREL_PAHO2 to the folder holding paho/)")
    with passwd_broker([("sensor", "s3nsor")], "user sensor\ntopic readwrite temperature\n") as b:
        creds = login("sensor", "s3nsor")
        for version in ("311", "5"):
            round_trip(b, creds, version, pythonpath=path)
        expect_refusal(b, "sensor.py", login("sensor", "x"), "311", 3,
                       "bad user name or password (CONNACK code 4)", pythonpath=path)
        expect_refusal(b, "subscriber.py", creds + ["-t", "other"], "5", 4,
                       "not authorized (SUBACK reason code 0x87)", pythonpath=path)
        expect_refusal(b, "subscriber.py", creds + ["-t", "other"], "311", 4,
                       "refused (SUBACK code 0x80", pythonpath=path)


main()
