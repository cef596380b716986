#!/usr/bin/python3
"""08-auth-reload: SIGHUP reloads the users, groups and ACL without dropping
anyone (README, tutorial steps 2 and 5): a user and ACL lines added to the
files work after `kill -HUP`, connected clients stay connected and keep
receiving, and a file broken at reload time leaves the previous users and
ACL in force, with the file, line and reason in the log (Petrel-only: the
log text is ours)."""
# timeout: 120

import os
import re

from lib import authfiles, client, testing, tools
from lib.authfiles import bad_login_code
from lib.broker import Broker
from lib.testing import case, main

ACL = "user alice\ntopic readwrite sensors/#\n\nuser bob\ntopic read sensors/#\n"


def auth_broker(acl=ACL, anonymous=False):
    b = Broker(conf=["allow_anonymous %s" % ("true" if anonymous else "false"),
                     "password_file {dir}/passwd", "acl_file {dir}/acl"], files={"acl": acl})
    os.makedirs(b.dir, exist_ok=True)
    authfiles.mosquitto_passwd(b.path("passwd"), "alice", "alice-pw", create=True)
    authfiles.mosquitto_passwd(b.path("passwd"), "bob", "bob-pw")
    return b


def connack(b, user, password, version=4):
    c = client.Client(b, version=version)
    try:
        return c.connect("try-" + user, expect_rc=None, username=user,
                         password=password.encode()).rc
    finally:
        c.close()


def login(b, client_id, user, password, version=4):
    return client.connect(b, client_id, version=version, username=user,
                          password=password.encode())


def append(b, name, text):
    with open(b.path(name), "a") as f:
        f.write(text)


def reload_ok(b):
    text = authfiles.reload(b)
    if b.kind == "petrel":
        last = re.findall(r"reload: .*", text)[-1]
        assert "users and ACL reloaded" in last, last


@case
def sighup_adds_a_user_and_its_rights():
    with auth_broker() as b:
        alice = login(b, "alice-sub", "alice", "alice-pw", version=5)
        alice.subscribe("sensors/#", qos=1)
        with tools.Sub(b, "sensors/#", qos=1, version=4,
                       extra=["-u", "bob", "-P", "bob-pw"]) as bob_sub:
            assert connack(b, "dave", "dave-pw") == bad_login_code(4)
            authfiles.mosquitto_passwd(b.path("passwd"), "dave", "dave-pw")
            append(b, "acl", "\nuser dave\ntopic write sensors/dave\n")
            reload_ok(b)
            testing.wait_until(lambda: connack(b, "dave", "dave-pw") == 0, 5,
                               what="dave to be let in after the reload")
            dave = login(b, "dave", "dave", "dave-pw", version=5)
            dave.publish("sensors/dave", b"hello", qos=1)
            # Connections made before the reload are still up and receive.
            alice.expect_publish("sensors/dave", b"hello", qos=1)
            assert bob_sub.messages(1) == [tools.Message("sensors/dave", b"hello", 1, False)]
            dave.publish("sensors/other", b"not dave's", qos=1, expect_rc=0x87)
            alice.expect_none(0.3)
            alice.ping()
            alice.publish("sensors/a", b"still here", qos=1)
            alice.expect_publish("sensors/a", b"still here", qos=1)
            assert bob_sub.messages(1) == [tools.Message("sensors/a", b"still here", 1, False)]


@case(petrel_only="README: SIGHUP drops nobody; mosquitto may disconnect removed users")
def sighup_removes_a_user_and_revokes_rights():
    with auth_broker() as b:
        bob = login(b, "bob-sub", "bob", "bob-pw")
        bob.subscribe("sensors/#", qos=1)
        alice = login(b, "alice-pub", "alice", "alice-pw")
        alice.publish("sensors/1", b"before", qos=1)
        bob.expect_publish("sensors/1", b"before", qos=1)
        authfiles.mosquitto_passwd_delete(b.path("passwd"), "bob")
        b.write_file("acl", "user alice\ntopic readwrite sensors/#\n")
        reload_ok(b)
        assert connack(b, "bob", "bob-pw") == bad_login_code(4)
        # bob's connection stays, but the new ACL no longer lets it read.
        alice.publish("sensors/2", b"after", qos=1)
        bob.expect_none(0.5)
        bob.ping()
        alice.ping()


@case(petrel_only="the log line is Petrel's")
def broken_password_file_keeps_the_old_users():
    with auth_broker() as b:
        alice = login(b, "alice-keep", "alice", "alice-pw")
        alice.subscribe("sensors/#", qos=1)
        authfiles.mosquitto_passwd(b.path("passwd"), "dave", "dave-pw")
        append(b, "passwd", "this line has no colon\n")
        n = len(open(b.path("passwd")).read().splitlines())
        text = authfiles.reload(b)
        assert re.search(r"reload: %s:%d: .+; keeping the current users and ACL"
                         % (re.escape(b.path("passwd")), n), text), text[-2000:]
        assert connack(b, "dave", "dave-pw") == bad_login_code(4)   # not added
        assert connack(b, "alice", "alice-pw") == 0                 # still there
        alice.ping()
        # Fixed: the next SIGHUP takes it.
        lines = open(b.path("passwd")).read().splitlines()[:-1]
        b.write_file("passwd", "\n".join(lines) + "\n")
        reload_ok(b)
        assert connack(b, "dave", "dave-pw") == 0


@case(petrel_only="the log line is Petrel's")
def broken_acl_keeps_the_old_acl():
    with auth_broker() as b:
        bob = login(b, "bob-keep", "bob", "bob-pw")
        bob.subscribe("sensors/#", qos=1)
        alice = login(b, "alice-keep", "alice", "alice-pw")
        b.write_file("acl", "user alice\ntopik readwrite sensors/#\n")
        text = authfiles.reload(b)
        assert re.search(r"reload: %s:2: .+; keeping the current users and ACL"
                         % re.escape(b.path("acl")), text), text[-2000:]
        alice.publish("sensors/x", b"old acl", qos=1)
        bob.expect_publish("sensors/x", b"old acl", qos=1)


@case(petrel_only="the log line is Petrel's")
def broken_config_file_keeps_the_old_users():
    with auth_broker() as b:
        authfiles.mosquitto_passwd(b.path("passwd"), "dave", "dave-pw")
        with open(b.conf_path, "a") as f:
            f.write("no_such_key 1\n")
        n = len(open(b.conf_path).read().splitlines())
        text = authfiles.reload(b)
        assert re.search(r"reload: %s:%d: .+; keeping the current users and ACL"
                         % (re.escape(b.conf_path), n), text), text[-2000:]
        assert connack(b, "dave", "dave-pw") == bad_login_code(4)
        assert connack(b, "alice", "alice-pw") == 0


@case
def sighup_applies_allow_anonymous():
    with auth_broker() as b:
        anon = client.Client(b)
        assert anon.connect("anon1", expect_rc=None).rc == 5
        anon.close()
        text = open(b.conf_path).read().replace("allow_anonymous false", "allow_anonymous true")
        with open(b.conf_path, "w") as f:
            f.write(text)
        reload_ok(b)

        def anon_ok():
            c = client.Client(b)
            try:
                return c.connect("anon2", expect_rc=None).rc == 0
            finally:
                c.close()
        testing.wait_until(anon_ok, 5, what="anonymous access after the reload")


@case(petrel_only="users_file and groups_file are Petrel's")
def sighup_reloads_users_and_groups_properties():
    # Tutorial step 5: petrel-passwd adds a user, then kill -HUP.
    b = Broker(conf=["allow_anonymous false", "users_file {dir}/users.properties",
                     "groups_file {dir}/groups.properties", "acl_file {dir}/acl"],
               files={"groups.properties": "admins=admin\n",
                      "acl": "group admins\ntopic readwrite #\n"})
    os.makedirs(b.dir, exist_ok=True)
    authfiles.petrel_passwd(b.path("users.properties"), "admin", "admin-pw", create=True)
    with b:
        admin = login(b, "admin", "admin", "admin-pw", version=5)
        admin.subscribe("temperature", qos=2)
        authfiles.petrel_passwd(b.path("users.properties"), "alice", "alice-pw")
        reload_ok(b)
        alice = login(b, "alice", "alice", "alice-pw", version=5)
        alice.publish("temperature", b"20", qos=2, expect_rc=0x87)   # no group yet
        b.write_file("groups.properties", "admins=admin|alice\n")
        reload_ok(b)
        alice.publish("temperature", b"21", qos=2)
        admin.expect_publish("temperature", b"21", qos=2)
        admin.expect_none(0.3)


main()
