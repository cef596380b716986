#!/usr/bin/python3
"""08-auth-password-file: logins against a mosquitto password_file written by
the real mosquitto_passwd ($7$ PBKDF2-SHA512, and $6$ with -H sha512) and by
petrel-passwd ($7$, and $scram$ secrets with --scram), checked with raw
CONNECTs in 3.1, 3.1.1 and 5, with paho and with mosquitto_pub/mosquitto_sub
-u/-P.

A wrong password or unknown user gets CONNACK 4 (3.1/3.1.1) or 0x86 (5),
"bad user name or password" (README, tutorial step 3); mosquitto 2.0 sends
5 / 0x87 there, which authfiles.bad_login_code() allows for in mosquitto
mode. A client without a user name where anonymous access is off gets 5 /
0x87 "not authorized". After a refusal the broker closes the connection
[MQTT-3.2.2-5] (3.1.1), [MQTT-3.2.2-7] (5)."""
# timeout: 120

import os

from lib import authfiles, client, pahoclient, tools
from lib.authfiles import bad_login_code, not_authorized_code
from lib.broker import Broker
from lib.testing import case, main

USERS = [("alice", "alice-pw"), ("bob", "b0b:with colon & spaces")]


def passwd_broker(users=USERS, sha512=False, tool="mosquitto", anonymous=False, conf=(),
                  extra=()):
    """A broker whose password_file holds users, written by `tool` (petrel-passwd
    gets the options in extra)."""
    b = Broker(conf=["allow_anonymous %s" % ("true" if anonymous else "false"),
                     "password_file {dir}/passwd"] + list(conf))
    os.makedirs(b.dir, exist_ok=True)
    for i, (user, password) in enumerate(users):
        if tool == "mosquitto":
            authfiles.mosquitto_passwd(b.path("passwd"), user, password, create=i == 0,
                                       sha512=sha512)
        else:
            authfiles.petrel_passwd(b.path("passwd"), user, password, create=i == 0,
                                    extra=extra)
    return b


def connack(b, version, user=None, password=None, client_id="c"):
    """The CONNACK code a raw CONNECT with these credentials gets."""
    kw = {}
    if user is not None:
        kw["username"] = user
    if password is not None:
        kw["password"] = password.encode("utf-8", "surrogateescape")
    c = client.Client(b, version=version, name="%s/v%d" % (user, version))
    try:
        ack = c.connect(client_id, expect_rc=None, **kw)
        if ack.rc != 0:
            c.expect_closed()
        return ack.rc
    finally:
        c.close()


def check_logins(b, users=USERS):
    for version in (3, 4, 5):
        for user, password in users:
            assert connack(b, version, user, password) == 0, (user, version)
            assert connack(b, version, user, password + "x") == bad_login_code(version), \
                (user, version)
        assert connack(b, version, "nobody", "x") == bad_login_code(version), version
        assert connack(b, version) == not_authorized_code(version), version


def hash_kinds(path):
    with open(path) as f:
        return sorted(l.split(":", 1)[1][:3] for l in f.read().splitlines() if ":" in l)


@case
def mosquitto_passwd_pbkdf2_hashes():
    with passwd_broker() as b:
        assert hash_kinds(b.path("passwd")) == ["$7$", "$7$"], authfiles.read(b.path("passwd"))
        check_logins(b)


@case
def mosquitto_passwd_sha512_hashes():
    with passwd_broker(sha512=True) as b:
        assert hash_kinds(b.path("passwd")) == ["$6$", "$6$"], authfiles.read(b.path("passwd"))
        check_logins(b)


@case
def petrel_passwd_file_read_by_both_brokers():
    # petrel-passwd writes mosquitto's format for a file not ending in
    # .properties: mosquitto itself must accept it (checked in mosquitto mode).
    with passwd_broker(tool="petrel") as b:
        assert hash_kinds(b.path("passwd")) == ["$7$", "$7$"], authfiles.read(b.path("passwd"))
        mode = os.stat(b.path("passwd")).st_mode & 0o777
        assert mode == 0o600, oct(mode)
        check_logins(b)


@case(petrel_only="mosquitto does not read $scram$ secrets")
def scram_secrets_check_plain_passwords():
    # A SCRAM secret (petrel-passwd --scram) also verifies an ordinary
    # CONNECT password, in every protocol version and with a real client.
    with passwd_broker(tool="petrel", extra=["--scram"]) as b:
        text = authfiles.read(b.path("passwd"))
        assert hash_kinds(b.path("passwd")) == ["$sc", "$sc"], text
        assert "$scram$4096$" in text and "$sha256=" in text and "$sha512=" in text, text
        check_logins(b)
        bob = ["-u", "bob", "-P", "b0b:with colon & spaces"]
        with tools.Sub(b, "t/scram", qos=1, version=5, extra=bob) as s:
            tools.pub(b, "t/scram", "hello", qos=1, version=5, extra=bob)
            assert s.messages(1) == [tools.Message("t/scram", b"hello", 1, False)]


@case
def user_name_without_password_is_refused():
    # A user name without a password is a valid CONNECT in 3.1.1 and 5, but
    # it does not log in a user that has a password.
    with passwd_broker() as b:
        for version in (4, 5):
            assert connack(b, version, "alice") == bad_login_code(version), version


@case
def password_file_with_anonymous_allowed():
    # mosquitto's rule: anonymous clients get in, but a user name given must
    # still match its password.
    with passwd_broker(anonymous=True) as b:
        for version in (4, 5):
            assert connack(b, version) == 0
            assert connack(b, version, "alice", "alice-pw") == 0
            assert connack(b, version, "alice", "nope") == bad_login_code(version)
            assert connack(b, version, "nobody", "x") == bad_login_code(version)


@case
def paho_login_and_refusal():
    pahoclient.require()
    with passwd_broker() as b:
        for version in (4, 5):
            with pahoclient.Client(b, "p-ok-%d" % version, version=version, username="alice",
                                   password="alice-pw") as p:
                p.subscribe("t/p", qos=1)
                p.publish("t/p", b"hi", qos=1)
                assert p.message().payload == b"hi"
                p.disconnect()
            p = pahoclient.Client(b, "p-bad-%d" % version, version=version, username="alice",
                                  password="wrong", connect=False)
            with p:
                _, rc = p.connect(expect_rc=None)
                assert getattr(rc, "value", rc) == bad_login_code(version), rc


@case
def mosquitto_tools_with_login():
    with passwd_broker() as b:
        alice = ["-u", "alice", "-P", "alice-pw"]
        bob = ["-u", "bob", "-P", "b0b:with colon & spaces"]
        for version in (4, 5):
            with tools.Sub(b, "t/tools", qos=2, version=version, extra=alice) as s:
                tools.pub(b, "t/tools", "from bob", qos=2, version=version, extra=bob)
                assert s.messages(1) == [tools.Message("t/tools", b"from bob", 2, False)]
            r = tools.pub(b, "t/tools", "x", version=version, extra=["-u", "bob", "-P", "no"],
                          check=False)
            assert r.returncode != 0, r
            text = (r.stdout + r.stderr).lower()
            assert "not authori" in text or "bad user name or password" in text, text


@case
def v31_login():
    # MQTT 3.1 clients log in the same way (protocol name MQIsdp).
    with passwd_broker() as b:
        c = client.connect(b, "a-v31-client", version=3, username="alice",
                           password=b"alice-pw")
        c.subscribe("t/31", qos=1)
        c.publish("t/31", b"x", qos=1)
        c.expect_publish("t/31", b"x", qos=1)
        c.disconnect()


@case
def binary_password_bytes():
    # The password is binary data (not a UTF-8 string); extra bytes that
    # are not UTF-8 simply make it not match.
    with passwd_broker() as b:
        for version in (4, 5):
            assert connack(b, version, "alice", "alice-pw\udcff") == bad_login_code(version)


main()
