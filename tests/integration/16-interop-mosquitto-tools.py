#!/usr/bin/python3
"""16-interop-mosquitto-tools: Debian's mosquitto_pub / mosquitto_sub with
-V 31, 311 and 5, in both directions with paho: every QoS, binary and large
payloads, retained messages, a persistent session (-c) receiving what was
queued while it was away, and MQTT 5 user properties and content type
passed through unchanged (mosquitto_sub -F %P/%C, paho v5 properties)."""
# timeout: 180

import queue
import subprocess
import threading
import time

from lib import env, pahoclient, procs, tools
from lib.broker import Broker
from lib.testing import case, main

try:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
except ImportError:  # pahoclient.require() skips
    Properties = None



@case
def mosquitto_pub_to_paho_every_qos():
    pahoclient.require()
    with Broker() as b:
        for v in (3, 4, 5):
            with pahoclient.Client(b, "paho-sub-%d" % v, version=v) as p:
                p.subscribe("mt/#", qos=2)
                for q in (0, 1, 2):
                    tools.pub(b, "mt/%d" % q, "tool q%d" % q, qos=q, version=v)
                got = sorted((m.topic, m.payload, m.qos) for m in p.messages(3))
                assert got == [("mt/%d" % q, b"tool q%d" % q, q) for q in (0, 1, 2)], (v, got)
                p.disconnect()


@case
def paho_to_mosquitto_sub_every_qos():
    pahoclient.require()
    with Broker() as b:
        for v in (3, 4, 5):
            with tools.Sub(b, "pm/#", qos=2, version=v) as s, \
                    pahoclient.Client(b, "paho-pub-%d" % v, version=v) as p:
                for q in (0, 1, 2):
                    p.publish("pm/%d" % q, b"paho q%d" % q, qos=q)
                got = sorted(s.messages(3))
                assert got == [tools.Message("pm/%d" % q, b"paho q%d" % q, q, False)
                               for q in (0, 1, 2)], (v, got)
                p.disconnect()


@case
def binary_and_large_payloads():
    pahoclient.require()
    big = bytes(range(256)) * 256  # 64 KiB, every byte value
    with Broker() as b:
        for v in (4, 5):
            with pahoclient.Client(b, "bin-%d" % v, version=v) as p:
                p.subscribe("bin/#", qos=1)
                tools.pub(b, "bin/zero", b"\x00a\x00", qos=1, version=v)
                tools.pub(b, "bin/big", big, qos=2, version=v)
                got = {m.topic: m.payload for m in p.messages(2)}
                assert got == {"bin/zero": b"\x00a\x00", "bin/big": big}, sorted(got)
                with tools.Sub(b, "bin/#", qos=1, version=v) as s:
                    p.publish("bin/back", big[::-1], qos=1)
                    assert s.messages(1) == [tools.Message("bin/back", big[::-1], 1, False)]
                p.disconnect()


@case
def retained_with_the_tools():
    with Broker() as b:
        for v in (4, 5):
            topic = "ret/%d" % v
            tools.pub(b, topic, "kept", qos=1, version=v, retain=True)
            with tools.Sub(b, "ret/#", qos=1, version=v) as s:
                m = s.message()
                assert m == tools.Message(topic, b"kept", 1, True), m
                tools.pub(b, topic, "live", qos=1, version=v, retain=True)
                assert s.message() == tools.Message(topic, b"live", 1, False)
            # -R: mosquitto_sub skips retained ("stale") messages.
            with tools.Sub(b, "ret/#", qos=1, version=v, extra=["-R"]) as s:
                s.expect_none(0.3)
            tools.pub(b, topic, None, qos=1, version=v, retain=True)  # -n: clear
            with tools.Sub(b, topic, qos=1, version=v) as s:
                s.expect_none(0.3)


@case
def persistent_session_with_mosquitto_sub_c():
    pahoclient.require()
    with Broker() as b:
        for v in (4, 5):
            cid = "tool-persist-%d" % v
            extra = ["-c"] + (["-x", "300"] if v == 5 else [])  # v5: session expiry
            with tools.Sub(b, "ps/%d" % v, qos=1, version=v, client_id=cid, extra=extra):
                pass
            with pahoclient.Client(b, "ps-pub-%d" % v, version=v) as p:
                for i in range(3):
                    p.publish("ps/%d" % v, b"queued %d" % i, qos=1)
                p.disconnect()
            with tools.Sub(b, "ps/%d" % v, qos=1, version=v, client_id=cid, extra=extra,
                           ready=False) as s:
                got = s.messages(3)
                assert got == [tools.Message("ps/%d" % v, b"queued %d" % i, 1, False)
                               for i in range(3)], got


def formatted_sub(b, topic, fmt, count, publish, version=5):
    """mosquitto_sub -F fmt for count messages: waits for its SUBACK, calls
    publish(), returns the formatted lines."""
    args = ["stdbuf", "-oL", tools.SUB, "-h", b.host, "-p", str(b.port), "-V",
            {4: "311", 5: "5"}[version], "-t", topic, "-q", "1", "-C", str(count), "-d",
            "-F", ">>" + fmt]
    proc = procs.spawn(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(l.rstrip("\n")) for l in proc.stdout],
                              daemon=True)
    reader.start()
    try:
        out, seen, published = [], [], False
        deadline = time.monotonic() + env.scaled(10)
        while len(out) < count:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("mosquitto_sub -F: got %r; output %r" % (out, seen[-20:]))
            seen.append(line)
            if "received SUBACK" in line and not published:
                publish()
                published = True
            elif line.startswith(">>"):
                out.append(line[2:])
        return out
    finally:
        procs.stop(proc, timeout=env.scaled(5))
        reader.join(timeout=5)


@case
def v5_user_properties_and_content_type_mosquitto_pub_to_paho_and_sub():
    pahoclient.require()
    props = ["-D", "publish", "user-property", "sensor", "t1",
             "-D", "publish", "user-property", "unit", "degC",
             "-D", "publish", "user-property", "sensor", "again",
             "-D", "publish", "content-type", "text/plain; charset=utf-8"]
    with Broker() as b:
        with pahoclient.Client(b, "props-paho", version=5) as p:
            p.subscribe("up/#", qos=1)

            def pub():
                tools.pub(b, "up/tool", "21.5", qos=1, version=5, extra=props)
            lines = formatted_sub(b, "up/#", "%t|%C|%P|%p", 1, pub)
            # %P prints each user property as key:value, in the order sent.
            assert lines == ["up/tool|text/plain; charset=utf-8|"
                             "sensor:t1 unit:degC sensor:again|21.5"], lines
            m = p.message()
            assert m.payload == b"21.5"
            assert m.properties.UserProperty == [("sensor", "t1"), ("unit", "degC"),
                                                 ("sensor", "again")], m.properties
            assert m.properties.ContentType == "text/plain; charset=utf-8", m.properties
            p.disconnect()


@case
def v5_user_properties_and_content_type_paho_to_mosquitto_sub():
    pahoclient.require()
    with Broker() as b:
        with pahoclient.Client(b, "props-pub", version=5) as p:
            def pub():
                pr = Properties(PacketTypes.PUBLISH)
                pr.UserProperty = [("a", "1"), ("b", "two words"), ("a", "3")]
                pr.ContentType = "application/json"
                pr.ResponseTopic = "reply/here"
                info = p.c.publish("up/paho", b'{"t": 20}', qos=1, properties=pr)
                info.wait_for_publish(env.scaled(10))
            lines = formatted_sub(b, "up/#", "%t|%C|%P|%R|%p", 1, pub)
            assert lines == ['up/paho|application/json|a:1 b:two words a:3|reply/here|'
                             '{"t": 20}'], lines
            p.disconnect()


@case
def v5_properties_dropped_for_a_311_subscriber():
    # 3.1.1 has no properties: the message itself still arrives intact.
    with Broker() as b:
        with tools.Sub(b, "down/#", qos=1, version=4) as s:
            tools.pub(b, "down/x", "payload", qos=1, version=5,
                      extra=["-D", "publish", "user-property", "k", "v",
                             "-D", "publish", "content-type", "text/plain"])
            assert s.messages(1) == [tools.Message("down/x", b"payload", 1, False)]


main()
