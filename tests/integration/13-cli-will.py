#!/usr/bin/python3
"""13-cli-will: the --will-* options. A petrel-sub killed with SIGKILL has
its will published; one stopped cleanly (DISCONNECT) has not."""
# timeout: 90

import signal

from cli_support import (EXIT_OK, EXIT_TIMEOUT, Broker, Sub, case, eq, main, run, stop)


@case
def will_published_when_killed():
    # [MQTT-3.1.2-8] the will is published when the network connection
    # closes without a DISCONNECT.
    with Broker() as b:
        for version in ("311", "5"):
            topic = "cli/will/" + version
            with Sub(b, ["-V", version, "-t", topic, "-v", "-C", "1", "-q", "1"]) as watcher:
                with Sub(b, ["-V", version, "-t", "cli/other", "--will-topic", topic,
                             "--will-payload", "gone", "--will-qos", "1"]) as victim:
                    stop(victim.proc, signal.SIGKILL)
                eq(watcher.finish(), EXIT_OK, "watcher status")
            eq(watcher.out, ("%s gone\n" % topic).encode(), "will v" + version)


@case
def retained_will_and_will_properties():
    with Broker() as b:
        with Sub(b, ["-t", "cli/rwill", "--will-topic", "cli/rwill", "--will-payload", "bye",
                     "--will-retain", "-D", "will", "user-property", "why", "test"]) as victim:
            stop(victim.proc, signal.SIGKILL)
        # The retained will reaches a subscriber that comes later.
        rc, out, err = run("petrel-sub", ["-t", "cli/rwill", "-C", "1", "-W", "10"], broker=b)
        eq((rc, out), (EXIT_OK, b"bye\n"), "retained will (%s)" % err)


@case
def no_will_after_clean_stop():
    # [MQTT-3.1.2-10] DISCONNECT discards the will.
    with Broker() as b:
        with Sub(b, ["-t", "cli/nowill", "-W", "2"]) as watcher:
            with Sub(b, ["-t", "cli/x", "--will-topic", "cli/nowill",
                         "--will-payload", "gone"]) as victim:
                eq(stop(victim.proc, signal.SIGTERM), EXIT_OK, "clean stop")
            eq(watcher.finish(), EXIT_TIMEOUT, "watcher status")
        eq(watcher.out, b"", "no will")
        # Same for petrel-pub, which always ends with DISCONNECT.
        with Sub(b, ["-t", "cli/nowill", "-W", "2"]) as watcher:
            rc, _, _ = run("petrel-pub", ["-t", "cli/x", "-m", "m", "--will-topic", "cli/nowill",
                                          "--will-payload", "gone"], broker=b)
            eq(rc, EXIT_OK, "pub")
            eq(watcher.finish(), EXIT_TIMEOUT, "watcher status")
        eq(watcher.out, b"", "no will from pub")


main()
