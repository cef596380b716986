#!/usr/bin/python3
"""13-cli-interop: petrel-pub/petrel-sub with mosquitto_sub/mosquitto_pub
(Debian mosquitto-clients 2.0) in both directions; -D properties as
mosquitto_sub -F shows them; persistent sessions with -c."""
# timeout: 120

from cli_support import (EXIT_OK, EXIT_TIMEOUT, Broker, Sub, case, eq, main, run)


@case
def petrel_pub_to_mosquitto_sub():
    with Broker() as b:
        for version, qos in (("311", 1), ("311", 2), ("5", 1), ("5", 2)):
            topic = "cli/io/%s/%d" % (version, qos)
            with Sub(b, ["-V", version, "-q", str(qos), "-t", topic, "-C", "1", "-v"],
                     name="mosquitto_sub") as s:
                rc, _, err = run("petrel-pub", ["-V", version, "-q", str(qos), "-t", topic,
                                                "-m", "to mosquitto"], broker=b)
                eq(rc, EXIT_OK, "pub (%s)" % err)
                eq(s.finish(), 0, "mosquitto_sub status")
            eq(s.out, ("%s to mosquitto\n" % topic).encode(), "mosquitto_sub output")


@case
def mosquitto_pub_to_petrel_sub():
    with Broker() as b:
        for version, qos in (("mqttv311", 1), ("mqttv311", 2), ("mqttv5", 1), ("mqttv5", 2)):
            topic = "cli/oi/%s/%d" % (version, qos)
            with Sub(b, ["-V", version, "-q", str(qos), "-t", topic, "-C", "1", "-v"]) as s:
                rc, _, err = run("mosquitto_pub", ["-V", version, "-q", str(qos), "-t", topic,
                                                   "-m", "from mosquitto"], broker=b)
                eq(rc, 0, "mosquitto_pub (%s)" % err)
                eq(s.finish(), EXIT_OK, "petrel-sub status")
            eq(s.out, ("%s from mosquitto\n" % topic).encode(), "petrel-sub output")


@case
def properties_seen_by_mosquitto_sub():
    # mosquitto_sub 2.0.11 -F: %P user properties as key:value, %C content
    # type, %R response topic, %D correlation data, %E message expiry.
    with Broker() as b:
        fmt = "%P|%C|%R|%D|%E|%p"
        with Sub(b, ["-V", "mqttv5", "-t", "cli/props", "-C", "1", "-F", fmt],
                 name="mosquitto_sub") as s:
            rc, _, err = run("petrel-pub", [
                "-t", "cli/props", "-m", "body", "-q", "1",
                "-D", "publish", "user-property", "colour", "blue",
                "-D", "publish", "content-type", "text/plain",
                "-D", "publish", "response-topic", "cli/reply",
                "-D", "publish", "correlation-data", "abc123",
                "-D", "publish", "message-expiry-interval", "3600",
                "-D", "connect", "user-property", "on", "connect"], broker=b)
            eq(rc, EXIT_OK, "pub (%s)" % err)
            eq(s.finish(), 0, "mosquitto_sub status")
        fields = s.out.decode().rstrip("\n").split("|")
        eq(fields[:4], ["colour:blue", "text/plain", "cli/reply", "abc123"], "properties")
        # The broker may count the expiry down by the time it forwards it.
        assert fields[4].isdigit() and 3590 <= int(fields[4]) <= 3600, fields
        eq(fields[5], "body", "payload")


@case
def two_user_properties_in_order():
    with Broker() as b:
        with Sub(b, ["-V", "mqttv5", "-t", "cli/up", "-C", "1", "-F", "%P"],
                 name="mosquitto_sub") as s:
            rc, _, err = run("petrel-pub", ["-t", "cli/up", "-m", "x",
                                            "-D", "publish", "user-property", "k", "1",
                                            "-D", "publish", "user-property", "k", "2"],
                             broker=b)
            eq(rc, EXIT_OK, "pub (%s)" % err)
            eq(s.finish(), 0, "mosquitto_sub status")
        # mosquitto_sub prints repeated keys separated by a space.
        eq(s.out.decode().split(), ["k:1", "k:2"], "both, in order [MQTT-3.3.2-18]")


@case
def persistent_session_with_c():
    # 3.1.1 [MQTT-3.1.2-4], 5.0 [MQTT-3.1.2-5]: with clean session off the
    # broker keeps the subscription and queues QoS 1 messages meanwhile.
    with Broker() as b:
        for version in ("311", "5"):
            cid = "cli-persist-" + version
            topic = "cli/persist/" + version
            args = ["-V", version, "-c", "-i", cid, "-q", "1", "-t", topic]
            rc, _, err = run("petrel-sub", args + ["-W", "1"], broker=b)
            eq(rc, EXIT_TIMEOUT, "first visit (%s)" % err)
            rc, _, err = run("mosquitto_pub", ["-V", "mqttv311", "-q", "1", "-t", topic,
                                               "-m", "while away"], broker=b)
            eq(rc, 0, "mosquitto_pub (%s)" % err)
            rc, out, err = run("petrel-sub", args + ["-C", "1", "-W", "10"], broker=b)
            eq((rc, out), (EXIT_OK, b"while away\n"), "queued message (%s)" % err)


@case
def count_leaves_the_rest_for_next_time():
    # -C 1 takes one message; the others the broker sent in the same burst
    # stay unacknowledged, so the persistent session delivers them on the
    # next connection [MQTT-4.4.0-1], none lost and none twice.
    with Broker() as b:
        for version, qos in (("311", "1"), ("5", "2")):
            cid = "cli-count-" + version
            topic = "cli/count/" + version
            args = ["-V", version, "-c", "-i", cid, "-q", qos, "-t", topic]
            eq(run("petrel-sub", args + ["-W", "1"], broker=b)[0], EXIT_TIMEOUT, "first visit")
            rc, _, err = run("petrel-pub", ["-V", version, "-q", qos, "-t", topic, "-l"],
                             input=b"m1\nm2\nm3\n", broker=b)
            eq(rc, EXIT_OK, "pub (%s)" % err)
            rc, out, err = run("petrel-sub", args + ["-C", "1", "-W", "10"], broker=b)
            eq((rc, out), (EXIT_OK, b"m1\n"), "one message (%s)" % err)
            rc, out, err = run("petrel-sub", args + ["-C", "2", "-W", "10"], broker=b)
            eq((rc, out), (EXIT_OK, b"m2\nm3\n"), "the rest (%s)" % err)


main()
