#!/usr/bin/python3
"""15-tutorial-original: the classic tutorial's two programs, kept verbatim in
tutorial/, against `petrel` started with no config at all (127.0.0.1:1883
and :61613, anonymous). The sensor publishes at QoS 2 and never runs paho's
network loop, so it never reads PUBREC nor sends PUBREL: its readings
arrive only because Petrel delivers a QoS 2 message when the PUBLISH
arrives (README, "Behaviour worth knowing"). mosquitto would hold them until
PUBREL, so every case here is Petrel-only.

tutorial/runner.py runs the original source text, shortening its 2 s sleep
and stopping the sensor after N readings; it reports each publish on stderr."""
# timeout: 120

import os
import re

from lib import client, env, pahoclient, scripts, testing
from lib.instance import DefaultPortsLock, NoConfigBroker
from lib.testing import case, main

READINGS = 6
PUBLISHED_RE = re.compile(r"^runner: published temperature (\S+) qos=2$")
NOT_QOS2 = "mosquitto completes QoS 2 only after PUBREL, which the original sensor never sends"


def wait_subscribed(b, sub):
    """The original subscriber prints nothing when its SUBACK comes: publish
    probes on `temperature` until it prints one. Returns the lines it
    printed meanwhile (the probes)."""
    probe = client.connect(b, "probe")
    seen = []
    try:
        for k in range(int(50 * env.SCALE)):
            probe.publish("temperature", b"probe-%d" % k)
            try:
                seen.append(sub.line(timeout=0.2))
            except AssertionError:
                continue
            if "probe-" in seen[-1]:
                return seen
        raise AssertionError("the original subscriber printed no probe; stdout: %r" % seen)
    finally:
        probe.disconnect()


def run_sensor(pythonpath=None):
    """Runs the original sensor through the runner for READINGS readings;
    returns the payloads it published, in order."""
    r = scripts.run(scripts.tutorial("runner.py"),
                    ["--readings", str(READINGS), "--sleep", "0.1", scripts.tutorial("sensor.py")],
                    timeout=30, pythonpath=pythonpath)
    assert r.returncode == 0, "original sensor: status %d\n%s%s" % (r.returncode, r.stdout,
                                                                     r.stderr)
    sent = [m.group(1) for m in map(PUBLISHED_RE.match, r.stderr.splitlines()) if m]
    assert len(sent) == READINGS, "runner reported %r" % r.stderr
    return sent


def tutorial_round(client_id=None, pythonpath=None):
    """The original subscriber, then the original sensor; every reading is
    printed once, in order, as the original prints it."""
    pahoclient.require()
    extra = ["--client-id", client_id] if client_id else []
    with DefaultPortsLock(), NoConfigBroker() as b:
        args = extra + [scripts.tutorial("subscriber.py")]
        with scripts.Script(scripts.tutorial("runner.py"), args, pythonpath=pythonpath,
                            name="original subscriber") as sub:
            first = sub.line(timeout=10)
            assert first == "Connected with result code 0", first
            wait_subscribed(b, sub)
            sent = run_sensor(pythonpath)
            got = sub.lines(READINGS, skip=lambda l: "probe-" in l)
            want = ["temperature b'%s'" % v for v in sent]
            assert got == want, "sent %r\nsubscriber printed %r" % (want, got)
            sub.no_line(0.5)


@case(petrel_only=NOT_QOS2)
def original_programs_with_no_config():
    # mqtt.Client() in the subscriber: paho sends an empty client id with
    # clean session, and the broker assigns one [MQTT-3.1.3-6].
    tutorial_round()


@case(petrel_only=NOT_QOS2)
def original_programs_with_client_id_signature():
    # paho 1.6's Client(client_id) signature for the subscriber too.
    tutorial_round(client_id="python_sub")


@case(petrel_only=NOT_QOS2)
def original_programs_with_paho2():
    # Only where a paho-mqtt 2.x is at hand (PETREL_PAHO2: the folder that
    # holds its paho/ package); Debian 12 has 1.6.
    path = os.environ.get("PETREL_PAHO2")
    if not path or not os.path.isdir(os.path.join(path, "paho")):
        testing.skip("no paho-mqtt 2.x (set PETREL_PAHO2 to the folder holding paho/)")
    tutorial_round(pythonpath=path)


main()
