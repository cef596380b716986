#!/usr/bin/python3
"""03-publish-denied: a publish the ACL does not allow is not delivered.

3.1.1 [MQTT-3.3.5-2]: the Server either acknowledges positively or closes
the connection (Petrel and mosquitto acknowledge); MQTT 5: PUBACK / PUBREC
with 0x87 Not authorized (section 3.4.2.1), nothing delivered."""

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


def watcher(b, v):
    w = client.connect(b, "watch%d" % v, version=v, username="admin", password="x")
    w.subscribe("#", qos=2)
    return w


@case
def denied_publish_not_delivered():
    with Broker(conf=CONF, files=FILES) as b:
        for v in (4, 5):
            w = watcher(b, v)
            alice = client.connect(b, "alice%d" % v, version=v, username="alice", password="a")
            for topic in ("ro/x", "secret/x"):
                alice.publish(topic, b"q0", qos=0)
                for q in (1, 2):
                    want = 0 if v == 4 else P.RC_NOT_AUTHORIZED
                    alice.publish(topic, b"q%d" % q, qos=q, expect_rc=want)
            # Allowed topics still work, on the same connection.
            alice.publish("open/x", b"ok", qos=1, expect_rc=0)
            alice.publish("wo/x", b"ok2", qos=2, expect_rc=0)
            w.expect_publish("open/x", b"ok", qos=1)
            w.expect_publish("wo/x", b"ok2", qos=2)
            w.expect_none(0.3)


@case
def denied_retained_publish_not_stored():
    with Broker(conf=CONF, files=FILES) as b:
        alice = client.connect(b, "alice-r", version=4, username="alice", password="a")
        alice.publish("ro/retained", b"nope", qos=1, retain=True)
        w = watcher(b, 4)
        w.expect_none(0.5)


main()
