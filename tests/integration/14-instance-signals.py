#!/usr/bin/python3
"""14-instance-signals: SIGINT (Ctrl-C) and SIGTERM stop the broker with exit
status 0 while clients are connected (README: "Stop it with Ctrl-C or
SIGTERM"). Petrel tells MQTT 5 clients first: DISCONNECT with reason code
0x8B "server shutting down" (mosquitto 2.0 just closes, which the spec also
allows); 3.1 and 3.1.1 clients, which have no DISCONNECT from the server,
see the connection close. mosquitto_sub -V 5, told 0x8B, exits rather than
reconnecting (Petrel-only, as it depends on the DISCONNECT).

paho-mqtt 1.6 is not used here: it ignores the reason code of a DISCONNECT
shorter than 3 bytes, so it reports any server DISCONNECT as a lost
connection."""
# timeout: 90

import signal

from lib import client, env, tools
from lib.broker import Broker
from lib.instance import stop_with
from lib.testing import case, main


def stop_with_clients(sig):
    with Broker() as b:
        v5 = client.connect(b, "v5-client", version=5)
        v5.subscribe("t/#", qos=1)
        v4 = client.connect(b, "v4-client", version=4)
        v4.subscribe("t/#", qos=2)
        v3 = client.connect(b, "v3-client", version=3)
        mid = client.connect(b, "mid-flow", version=5)
        mid.subscribe("t/q2", qos=2)
        v4.publish("t/q2", b"held", qos=2)
        # mid-flow does not acknowledge: a QoS 2 delivery is in flight.
        mid.expect_publish("t/q2", b"held", qos=2, ack=False)
        with tools.Sub(b, "t/#", qos=1, version=5) as sub:
            rc = stop_with(b, sig)
            assert rc == 0, "broker exit status %s after signal %d" % (rc, sig)
            if not env.is_mosquitto():
                sub.exit_status(timeout=10)
        for c in (v5, mid):
            seen = c.expect_closed(timeout=5, allow=("DISCONNECT", "PUBLISH"))
            discs = [(p.rc, p.props) for p in seen if p.name == "DISCONNECT"]
            if not env.is_mosquitto() or discs:
                assert len(discs) == 1 and discs[0][0] == 0x8B, seen
        for c in (v4, v3):
            seen = c.expect_closed(timeout=5, allow=("PUBLISH",))
        if not env.is_mosquitto():
            log = b.log_text()
            name = "SIGINT" if sig == signal.SIGINT else "SIGTERM"
            assert "%s received: stopping" % name in log, log[-1000:]
            assert log.rstrip().endswith("stopped"), log[-500:]


@case
def sigterm_with_clients_connected_exits_0():
    stop_with_clients(signal.SIGTERM)


@case
def sigint_with_clients_connected_exits_0():
    stop_with_clients(signal.SIGINT)


@case
def sigterm_with_no_client_exits_0_quickly():
    with Broker() as b:
        assert stop_with(b, signal.SIGTERM, timeout=5) == 0


@case
def sighup_does_not_stop_the_broker():
    with Broker() as b:
        c = client.connect(b, "stays", version=5)
        for _ in range(3):
            b.reload()
        c.ping()
        assert b.running()
        c.disconnect()


main()
