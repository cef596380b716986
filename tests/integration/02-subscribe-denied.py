#!/usr/bin/python3
"""02-subscribe-denied: a subscription the ACL does not allow is refused in
SUBACK with 0x80 (3.1.1, [MQTT-3.9.3-2] failure code) or 0x87 Not authorized
(5.0); the other filters of the same SUBSCRIBE are granted.

mosquitto 2.0.11 grants such subscriptions and filters at delivery instead,
so the SUBACK codes are Petrel-only; that nothing is delivered to a client
that may not read a topic holds for both."""

from lib import client
from lib import packets as P
from lib.broker import Broker
from lib.passwords import password_file
from lib.testing import case, main

USERS = {"alice": "a", "admin": "x"}
ACL = """\
user alice
topic readwrite open/#
topic read ro/#
topic write wo/#

user admin
topic readwrite #
"""
CONF = ["allow_anonymous false", "password_file {dir}/passwd", "acl_file {dir}/acl"]
FILES = {"passwd": password_file(USERS), "acl": ACL}
FILTERS = [("open/a", 1), ("ro/a", 1), ("wo/a", 1), ("secret/a", 1)]


@case(petrel_only="mosquitto 2.0.11 grants denied subscriptions")
def suback_refuses_denied_filters():
    with Broker(conf=CONF, files=FILES) as b:
        for v, refused in ((4, 0x80), (5, 0x87)):
            c = client.connect(b, "den%d" % v, version=v, username="alice", password="a")
            c.subscribe(FILTERS, expect_codes=[1, 1, refused, refused])


@case
def no_delivery_without_read_access():
    with Broker(conf=CONF, files=FILES) as b:
        for v in (4, 5):
            alice = client.connect(b, "nd%d" % v, version=v, username="alice", password="a")
            mid = alice.next_mid()
            alice.send(P.subscribe(mid, FILTERS, version=v))
            alice.wait_for("SUBACK", mid)
            admin = client.connect(b, "adm%d" % v, version=v, username="admin", password="x")
            for t, _ in FILTERS:
                admin.publish(t, t.encode(), qos=1)
            got = client.drain_all([alice], quiet=0.4)[alice]
            topics = sorted(p.topic for p in got if p.name == "PUBLISH")
            assert topics == ["open/a", "ro/a"], topics


main()
