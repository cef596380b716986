#!/usr/bin/python3
"""09-keepalive-connect-timeout: a connection that has not sent a complete
CONNECT within `connect_timeout` seconds is closed (Petrel-only: mosquitto
has no such option). 3.1.1 section 3.1: a Server that receives no CONNECT
within a reasonable time should close the connection."""

import time

from lib import client, env
from lib import packets as P
from lib.broker import Broker
from lib.bystander import Bystander
from lib.client import Client
from lib.testing import case, main

CONF = ["connect_timeout 1"]


def closed_between(c, least, most):
    t0 = time.monotonic()
    p = c.try_recv(least, exact=True)
    assert p is None, "got %r before connect_timeout" % p
    c.expect_closed(timeout=most, allow=())
    return time.monotonic() - t0


@case
def silent_connection_closed():
    with Broker(conf=CONF) as b:
        by = Bystander(b)
        c = Client(b)
        closed_between(c, 0.6, 2.5)
        by.check()


@case
def truncated_connect_closed():
    with Broker(conf=CONF) as b:
        by = Bystander(b)
        halves = []
        for v in (3, 4, 5):
            full = P.connect("half%d" % v, version=v)
            c = Client(b, version=v)
            c.send(full[:5])
            halves.append(c)
        # All three started together: each must still be open at 0.5 s and
        # closed by 2.5 s, counted from the same start.
        t0 = time.monotonic()
        for c in halves:
            left = 0.5 - (time.monotonic() - t0)
            if left > 0:
                assert c.try_recv(left, exact=True) is None
        for c in halves:
            c.expect_closed(timeout=max(0.1, 2.5 - (time.monotonic() - t0)), allow=())
        by.check()


@case
def dribbled_connect_still_closed():
    # One byte every 0.4 s: activity alone does not extend the CONNECT
    # deadline; the connection goes after about connect_timeout.
    with Broker(conf=CONF) as b:
        full = P.connect("slow", version=4, username="u" * 40)
        c = Client(b)
        t0 = time.monotonic()
        try:
            for byte in full:
                c.send(bytes([byte]))
                p = c.try_recv(0.4, exact=True)
                assert p is None, "got %r while the CONNECT was incomplete" % p
                assert time.monotonic() - t0 < 3 * env.SCALE, "still open after 3 s"
            raise AssertionError("the whole CONNECT was accepted byte by byte")
        except (client.Closed, BrokenPipeError, ConnectionResetError):
            pass


@case
def connected_client_not_affected():
    # connect_timeout applies before CONNECT only.
    with Broker(conf=CONF) as b:
        c = client.connect(b, "ct-ok", keepalive=0)
        time.sleep(2)
        c.ping()


main()
