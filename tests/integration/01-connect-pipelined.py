#!/usr/bin/python3
"""01-connect-pipelined: packets sent right behind CONNECT, in the same
write and before CONNACK, are all handled and answered in order, also
while a hashed password is being checked (Petrel checks it off the event
loop, so the packets must wait for it, not be dropped or reordered).
A rejected CONNECT stops everything sent after it."""

from lib import client
from lib import packets as P
from lib.broker import Broker
from lib.client import Client
from lib.passwords import password_file, users_properties
from lib.testing import case, main

USERS = {"sensor": "s3cret!"}
ITER = 20000  # makes the hash check take a noticeable time


def pipeline(v, username=None, password=None):
    """CONNECT + SUBSCRIBE + PUBLISH QoS 0/1/2 + PUBREL + PUBLISH to itself + PINGREQ."""
    return b"".join([
        P.connect("pipe%d" % v, version=v, username=username, password=password),
        P.subscribe(1, "pl/echo", qos=1, version=v),
        P.publish("pl/data", b"a", qos=0, version=v),
        P.publish("pl/data", b"b", qos=1, mid=2, version=v),
        P.publish("pl/data", b"c", qos=2, mid=3, version=v),
        P.pubrel(3, version=v),
        P.publish("pl/echo", b"self", qos=1, mid=4, version=v),
        P.pingreq(),
    ])


def check_pipeline(b, v, username=None, password=None):
    # Responses come in the order of the requests: [MQTT-4.6.0-2] PUBACK and
    # [MQTT-4.6.0-3] PUBREC in the order the PUBLISHes were received.
    watch = client.connect(b, "watch%d" % v, version=v, username=username, password=password)
    watch.subscribe("pl/data", qos=2)
    c = Client(b, version=v)
    c.send(pipeline(v, username, password))
    want = [("CONNACK", None), ("SUBACK", 1), ("PUBACK", 2), ("PUBREC", 3),
            ("PUBCOMP", 3), ("PUBACK", 4), ("PINGRESP", None)]
    got, echo = [], []
    for _ in range(len(want) + 1):
        p = c.recv()
        if p.name == "PUBLISH":
            echo.append(p)
            c.ack(p)
        else:
            got.append((p.name, getattr(p, "mid", None)))
        if len(got) == len(want) and echo:
            break
    assert got == want, got
    assert [(p.topic, p.payload) for p in echo] == [("pl/echo", b"self")], echo
    for payload, qos in ((b"a", 0), (b"b", 1), (b"c", 2)):
        watch.expect_publish("pl/data", payload, qos=qos)
    watch.expect_none(0.3)


def check_rejected(b, v, username, password):
    # [MQTT-3.1.4-5]: after rejecting a CONNECT the Server must not process
    # any data the Client sent after it; CONNACK != 0 then close [MQTT-3.2.2-5].
    watch = client.connect(b, "watchr%d" % v, version=v, username="sensor",
                           password=USERS["sensor"])
    watch.subscribe("pl/#", qos=2)
    c = Client(b, version=v)
    c.send(pipeline(v, username, password))
    ack = c.expect("CONNACK")
    assert ack.rc != 0, ack
    c.expect_closed(allow=())
    watch.expect_none(0.5)


@case
def anonymous_pipeline():
    with Broker() as b:
        for v in (3, 4, 5):
            check_pipeline(b, v)


@case
def hashed_password_file_pipeline():
    conf = ["allow_anonymous false", "password_file {dir}/passwd"]
    with Broker(conf=conf, files={"passwd": password_file(USERS, ITER)}) as b:
        for v in (4, 5):
            check_pipeline(b, v, "sensor", USERS["sensor"])
        for v in (4, 5):
            check_rejected(b, v, "sensor", "wrong")


@case
def hashed_users_properties_pipeline():
    # Petrel-only (users_file): Apollo users.properties with a $7$ hash.
    conf = ["allow_anonymous false", "users_file {dir}/users.properties"]
    files = {"users.properties": users_properties(USERS, hashed=True, iterations=ITER)}
    with Broker(conf=conf, files=files) as b:
        for v in (3, 4, 5):
            check_pipeline(b, v, "sensor", USERS["sensor"])
        check_rejected(b, 4, "sensor", "wrong")
        check_rejected(b, 5, "nobody", "x")


@case
def plain_users_properties_pipeline():
    # Petrel-only (users_file): plain-text password, accepted with a warning.
    conf = ["allow_anonymous false", "users_file {dir}/users.properties"]
    files = {"users.properties": users_properties(USERS, hashed=False)}
    with Broker(conf=conf, files=files) as b:
        for v in (4, 5):
            check_pipeline(b, v, "sensor", USERS["sensor"])
        check_rejected(b, 4, "sensor", "wrong")


@case
def many_pipelines_at_once():
    # Ten clients pipeline at the same moment against a slow hash: each gets
    # its own answers in order (no packet handled under another's identity).
    conf = ["allow_anonymous false", "password_file {dir}/passwd"]
    with Broker(conf=conf, files={"passwd": password_file(USERS, ITER)}) as b:
        clients = []
        for i in range(10):
            c = Client(b, version=4, name="p%d" % i)
            clients.append(c)
        for i, c in enumerate(clients):
            c.send(P.connect("many%d" % i, username="sensor", password=USERS["sensor"]),
                   P.subscribe(7, "pl/many/%d" % i, qos=1),
                   P.publish("pl/many/%d" % i, b"%d" % i, qos=1, mid=8))
        for i, c in enumerate(clients):
            c.expect("CONNACK", rc=0)
            c.wait_for("SUBACK", 7)
            c.wait_for("PUBACK", 8)
            c.expect_publish("pl/many/%d" % i, b"%d" % i, qos=1)


main()
