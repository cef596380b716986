#!/usr/bin/python3
"""01-connect-credentials: bad user name or password gets CONNACK 4 (3.1.1)
or 0x86 (5.0), then the connection closes; good ones connect.

mosquitto 2.0.11 answers 5 / 0x87 (not authorized) for a bad password, so
against mosquitto either refusal code is accepted; Petrel must give 4 / 0x86."""

from lib import client, env, mqttjs, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.client import Client
from lib.passwords import password_file, users_properties
from lib.testing import case, main

USERS = {"alice": "wonder land", "bob": "builder"}
BAD = {4: {P.RC3_BAD_CREDENTIALS}, 5: {P.RC_BAD_CREDENTIALS}}
if env.is_mosquitto():
    BAD = {4: {P.RC3_BAD_CREDENTIALS, P.RC3_NOT_AUTHORIZED},
           5: {P.RC_BAD_CREDENTIALS, P.RC_NOT_AUTHORIZED}}


def refused(b, v, **kw):
    # [MQTT-3.2.2-4] session present 0 with a non-zero code; [MQTT-3.2.2-5] close.
    c = Client(b, version=v)
    c.send(P.connect("cred%d" % v, version=v, **kw))
    ack = c.expect("CONNACK", session_present=False)
    assert ack.rc in BAD[v], "CONNACK code 0x%02x, want one of %s" % (ack.rc, BAD[v])
    c.expect_closed(allow=())


def check_users(b):
    for v in (3, 4, 5):
        c = client.connect(b, "ok%d" % v, version=v, username="alice", password="wonder land")
        c.disconnect()
    for v in (4, 5):
        refused(b, v, username="alice", password=b"wonder")
        refused(b, v, username="nobody", password=b"builder")
        refused(b, v, username="bob", password=b"")


@case
def password_file_credentials():
    conf = ["allow_anonymous false", "password_file {dir}/passwd"]
    with Broker(conf=conf, files={"passwd": password_file(USERS)}) as b:
        check_users(b)


@case
def users_properties_credentials():
    # Petrel-only (users_file): the Apollo users.properties, hashed and plain.
    text = users_properties({"alice": USERS["alice"]}, hashed=True) + \
        users_properties({"bob": USERS["bob"]}, hashed=False)
    conf = ["allow_anonymous false", "users_file {dir}/users.properties"]
    with Broker(conf=conf, files={"users.properties": text}) as b:
        check_users(b)
        c = client.connect(b, "bob", version=4, username="bob", password="builder")
        c.disconnect()


@case
def third_party_clients_see_the_refusal():
    conf = ["allow_anonymous false", "password_file {dir}/passwd"]
    with Broker(conf=conf, files={"passwd": password_file(USERS)}) as b:
        r = tools.pub(b, "t", "x", extra=["-u", "alice", "-P", "nope"], check=False)
        assert r.returncode != 0, r
        tools.pub(b, "t", "x", extra=["-u", "alice", "-P", "wonder land"])
        p = pahoclient.Client(b, "paho-bad", version=4, username="alice", password="no",
                              connect=False)
        with p:
            _flags, rc = p.connect(expect_rc=None)
            assert rc in BAD[4], rc
        mqttjs.require()
        with mqttjs.Client(b) as js:
            js.connect(expect_code=None, clientId="jsbad", protocolVersion=5,
                       username="alice", password="no")
            e = js.expect("error", timeout=10)
            assert e.get("code") in BAD[5], e


main()
