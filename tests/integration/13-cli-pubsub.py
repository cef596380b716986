#!/usr/bin/python3
"""13-cli-pubsub: petrel-pub to petrel-sub through the broker: QoS 0/1/2
with MQTT 3.1.1 and 5, the message sources (-m, -l, -f with binary
content, -n, -s, --repeat), retained messages, -v/-N/-R/-T output."""
# timeout: 120

import os

from cli_support import (EXIT_OK, EXIT_TIMEOUT, Broker, Sub, base_dir, case, eq, main, run)


@case
def qos_levels_v311_and_v5():
    # [MQTT-4.3.2-1] QoS 1 ends with PUBACK; [MQTT-4.3.3-1] QoS 2 with PUBREC,
    # PUBREL, PUBCOMP. The publisher exits 0 only after the last of them.
    acks = {0: None, 1: "received PUBACK", 2: "received PUBCOMP"}
    with Broker() as b:
        for version in ("311", "5"):
            for qos in (0, 1, 2):
                topic = "cli/qos/%s/%d" % (version, qos)
                msg = "hello v%s q%d" % (version, qos)
                with Sub(b, ["-V", version, "-q", str(qos), "-t", topic, "-C", "1"]) as s:
                    rc, _, err = run("petrel-pub", ["-V", version, "-q", str(qos), "-t", topic,
                                                    "-m", msg, "-d"], broker=b)
                    eq(rc, EXIT_OK, "pub status (%s)" % err)
                    if acks[qos]:
                        assert acks[qos] in err, err
                    assert "sending DISCONNECT" in err, err
                    eq(s.finish(), EXIT_OK, "sub status")
                eq(s.out, (msg + "\n").encode(), "sub output")
                # The subscriber acknowledged as its QoS requires.
                if qos == 1:
                    assert "sending PUBACK" in s.err_text, s.err_text
                if qos == 2:
                    assert "sending PUBCOMP" in s.err_text, s.err_text


@case
def lines_from_stdin():
    # -l: one message per line, without its newline; an empty line is an
    # empty message; a last line without a newline still goes out.
    with Broker() as b:
        with Sub(b, ["-t", "cli/lines", "-v", "-C", "4", "-q", "1"]) as s:
            rc, _, err = run("petrel-pub", ["-t", "cli/lines", "-l", "-q", "1"],
                             input=b"one\ntwo\n\nfour", broker=b)
            eq(rc, EXIT_OK, "pub status (%s)" % err)
            eq(s.finish(), EXIT_OK, "sub status")
        eq(s.out, b"cli/lines one\ncli/lines two\ncli/lines \ncli/lines four\n", "lines")


@case
def many_lines_qos2_in_order():
    # More lines than the in-flight window (20): all arrive, in order.
    lines = ["line %03d" % i for i in range(150)]
    with Broker() as b:
        with Sub(b, ["-t", "cli/many", "-C", str(len(lines)), "-q", "2"]) as s:
            rc, _, err = run("petrel-pub", ["-t", "cli/many", "-l", "-q", "2"],
                             input=("\n".join(lines) + "\n").encode(), broker=b, timeout=60)
            eq(rc, EXIT_OK, "pub status (%s)" % err)
            eq(s.finish(timeout=60), EXIT_OK, "sub status")
        eq(s.out.decode().splitlines(), lines, "lines")


@case
def binary_file_keeps_zero_bytes():
    data = bytes(range(256)) * 3 + b"\x00\x00\nend\x00"
    path = os.path.join(base_dir(), "payload.bin")
    with open(path, "wb") as f:
        f.write(data)
    with Broker() as b:
        for version in ("311", "5"):
            with Sub(b, ["-V", version, "-t", "cli/bin", "-N", "-C", "1", "-q", "1"]) as s:
                rc, _, err = run("petrel-pub", ["-V", version, "-t", "cli/bin", "-f", path,
                                                "-q", "1"], broker=b)
                eq(rc, EXIT_OK, "pub status (%s)" % err)
                eq(s.finish(), EXIT_OK, "sub status")
            eq(s.out, data, "payload v" + version)


@case
def null_message_and_whole_stdin():
    with Broker() as b:
        with Sub(b, ["-t", "cli/n", "-C", "2"]) as s:
            eq(run("petrel-pub", ["-t", "cli/n", "-n"], broker=b)[0], EXIT_OK, "-n")
            rc, _, err = run("petrel-pub", ["-t", "cli/n", "-s"], input=b"a\nb\x00c",
                             broker=b)
            eq(rc, EXIT_OK, "-s (%s)" % err)
            eq(s.finish(), EXIT_OK, "sub status")
        eq(s.out, b"\na\nb\x00c\n", "output")


@case
def repeat_with_delay():
    with Broker() as b:
        with Sub(b, ["-t", "cli/rep", "-C", "3", "-q", "1"]) as s:
            rc, _, err = run("petrel-pub", ["-t", "cli/rep", "-m", "again", "-q", "1",
                                            "--repeat", "3", "--repeat-delay", "0.1"], broker=b)
            eq(rc, EXIT_OK, "pub status (%s)" % err)
            eq(s.finish(), EXIT_OK, "sub status")
        eq(s.out, b"again\nagain\nagain\n", "output")


@case
def retained_seen_by_later_subscriber():
    # 3.1.1 [MQTT-3.3.1-6]: a new subscription gets the retained message,
    # with the retain flag set [MQTT-3.3.1-8] (so -R leaves it out).
    with Broker() as b:
        for version in ("311", "5"):
            topic = "cli/retained/" + version
            rc, _, err = run("petrel-pub", ["-V", version, "-t", topic, "-m", "kept", "-r",
                                            "-q", "1"], broker=b)
            eq(rc, EXIT_OK, "pub status (%s)" % err)
            rc, out, err = run("petrel-sub", ["-V", version, "-t", topic, "-C", "1",
                                              "-W", "10"], broker=b)
            eq((rc, out), (EXIT_OK, b"kept\n"), "later sub (%s)" % err)
            rc, out, _ = run("petrel-sub", ["-V", version, "-t", topic, "-R", "-W", "1"],
                             broker=b)
            eq((rc, out), (EXIT_TIMEOUT, b""), "-R leaves out the stale message")
            # An empty retained message clears it (3.1.1 [MQTT-3.3.1-10], 5.0 [MQTT-3.3.1-6]).
            eq(run("petrel-pub", ["-V", version, "-t", topic, "-n", "-r"], broker=b)[0],
               EXIT_OK, "clear")
            rc, out, _ = run("petrel-sub", ["-V", version, "-t", topic, "-W", "1"], broker=b)
            eq((rc, out), (EXIT_TIMEOUT, b""), "nothing retained any more")


@case
def filter_out_and_several_topics():
    with Broker() as b:
        with Sub(b, ["-t", "cli/a/#", "-t", "cli/b", "-T", "cli/a/skip/#", "-v",
                     "-C", "2"]) as s:
            for topic in ("cli/a/skip/x", "cli/a/keep", "cli/b"):
                eq(run("petrel-pub", ["-t", topic, "-m", "m", "-q", "1"], broker=b)[0],
                   EXIT_OK, topic)
            eq(s.finish(), EXIT_OK, "sub status")
        eq(s.out, b"cli/a/keep m\ncli/b m\n", "output")


@case
def unsubscribe_flag():
    # -U after -t: the UNSUBSCRIBE follows the SUBSCRIBE, so nothing arrives.
    with Broker() as b:
        with Sub(b, ["-t", "cli/u", "-U", "cli/u", "-W", "2"], ready=False) as s:
            s.wait_stderr("received UNSUBACK")
            eq(run("petrel-pub", ["-t", "cli/u", "-m", "m", "-q", "1"], broker=b)[0], EXIT_OK,
               "pub")
            eq(s.finish(), EXIT_TIMEOUT, "sub status")
        eq(s.out, b"", "output")


main()
