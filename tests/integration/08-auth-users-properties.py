#!/usr/bin/python3
"""08-auth-users-properties: Apache Apollo's users.properties (user=password,
plain text accepted with a warning in the log; hashes written by
petrel-passwd) and groups.properties (group=user1|user2) with `group` blocks
in the acl_file. users_file and groups_file are Petrel's own keys, so these
cases skip against mosquitto."""
# timeout: 120

import os

from lib import authfiles, client, pahoclient, tools
from lib.broker import Broker
from lib.testing import case, main

PLAIN_WARNING = r"users\.properties: 2 users have a plain-text password; hash them with " \
                r"petrel-passwd -U"


def props_broker(users_text=None, groups=None, acl=None, anonymous=False, conf=()):
    lines = ["allow_anonymous %s" % ("true" if anonymous else "false"),
             "users_file {dir}/users.properties"]
    files = {}
    if users_text is not None:
        files["users.properties"] = users_text
    if groups is not None:
        lines.append("groups_file {dir}/groups.properties")
        files["groups.properties"] = groups
    if acl is not None:
        lines.append("acl_file {dir}/acl.conf")
        files["acl.conf"] = acl
    b = Broker(conf=lines + list(conf), files=files)
    os.makedirs(b.dir, exist_ok=True)
    return b


def connack(b, version, user, password):
    c = client.Client(b, version=version)
    try:
        return c.connect("c-" + user, expect_rc=None, username=user,
                         password=password.encode()).rc
    finally:
        c.close()


def login(b, client_id, user, password, version=4):
    return client.connect(b, client_id, version=version, username=user,
                          password=password.encode())


@case
def plain_passwords_work_with_a_warning():
    text = "# Apollo users\nadmin=password\nguest = gu3st\n"
    with props_broker(text) as b:
        b.wait_log(PLAIN_WARNING)
        for v in (3, 4, 5):
            assert connack(b, v, "admin", "password") == 0
            assert connack(b, v, "guest", "gu3st") == 0  # blanks around '=' trimmed
            assert connack(b, v, "admin", "Password") == (0x86 if v == 5 else 4)
            assert connack(b, v, "nobody", "password") == (0x86 if v == 5 else 4)


@case
def hashes_written_by_petrel_passwd():
    b = props_broker()
    path = b.path("users.properties")
    authfiles.petrel_passwd(path, "alice", "alice-pw", create=True)
    authfiles.petrel_passwd(path, "bob", "pw with = and : signs")
    text = authfiles.read(path)
    assert "alice=$7$" in text and "bob=$7$" in text, text
    assert "alice-pw" not in text, text
    with b:
        assert "plain-text" not in b.log_text()
        for v in (4, 5):
            assert connack(b, v, "alice", "alice-pw") == 0
            assert connack(b, v, "bob", "pw with = and : signs") == 0
            assert connack(b, v, "bob", "pw") == (0x86 if v == 5 else 4)


@case
def petrel_passwd_hashes_plain_file_in_place():
    text = "admin=password\nguest=gu3st\n"
    b = props_broker()
    b.write_file("users.properties", text)
    authfiles.petrel_passwd_run(["-U", b.path("users.properties")])
    hashed = authfiles.read(b.path("users.properties"))
    assert "password" not in hashed.replace("# ", "") and hashed.count("=$7$") == 2, hashed
    with b:
        assert "plain-text" not in b.log_text()
        assert connack(b, 4, "admin", "password") == 0
        assert connack(b, 4, "guest", "gu3st") == 0


@case
def groups_blocks_in_the_acl():
    users = "alice=a\nbob=b\ncarol=c\n"
    groups = "sensors=alice|bob\nviewers = carol , bob\nempty=\n"
    acl = ("group sensors\ntopic write sensors/#\n\n"
           "group viewers\ntopic read sensors/#\n")
    with props_broker(users, groups, acl) as b:
        for v in (4, 5):
            rc = 0x87 if v == 5 else None
            carol = login(b, "carol%d" % v, "carol", "c", v)
            carol.subscribe("sensors/#", qos=1)                     # viewer
            bob = login(b, "bob%d" % v, "bob", "b", v)
            bob.subscribe("sensors/#", qos=1)                       # sensor and viewer
            alice = login(b, "alice%d" % v, "alice", "a", v)
            alice.subscribe("sensors/#", qos=1, expect_codes=[0x87 if v == 5 else 0x80])
            alice.publish("sensors/a", b"from alice", qos=1)
            carol.expect_publish("sensors/a", b"from alice", qos=1)
            bob.expect_publish("sensors/a", b"from alice", qos=1)
            carol.publish("sensors/c", b"viewer writes", qos=1, expect_rc=rc)
            carol.expect_none(0.3)
            for c in (alice, bob, carol):
                c.disconnect()


@case
def instance_admin_login_from_petrel_create():
    # The instance's users.properties + groups + ACL, used in place through
    # users_file/groups_file/acl_file (petrel run is in 14-instance-*).
    from lib import instance
    inst = instance.create()
    etc = inst.path("etc")
    b = Broker(conf=["allow_anonymous false",
                     "users_file %s/users.properties" % etc,
                     "groups_file %s/groups.properties" % etc,
                     "acl_file %s/acl.conf" % etc])
    with b:
        for v in (4, 5):
            admin = login(b, "admin%d" % v, inst.user, inst.password, v)
            admin.subscribe(["temperature", "$SYS/broker/version"], qos=2)
            admin.expect_publish("$SYS/broker/version", retain=True)
            admin.publish("temperature", b"21.5", qos=2)
            admin.expect_publish("temperature", b"21.5", qos=2)
            admin.disconnect()
            assert connack(b, v, "admin", inst.password + "x") == (0x86 if v == 5 else 4)


@case
def user_in_password_file_and_users_file():
    # Both sources may be used at once. A user in both is warned about, and
    # the warning names the file whose entry counts; only that password works.
    b = props_broker("alice=from-props\n", conf=["password_file {dir}/passwd"])
    authfiles.mosquitto_passwd(b.path("passwd"), "alice", "from-passwd", create=True)
    authfiles.mosquitto_passwd(b.path("passwd"), "dave", "dave-pw")
    with b:
        m = b.wait_log(r"user 'alice' is in both \S+ and \S+; the entry in (\S+) is used")
        used = {b.path("passwd"): "from-passwd",
                b.path("users.properties"): "from-props"}[m.group(1)]
        for pw in ("from-props", "from-passwd"):
            assert connack(b, 4, "alice", pw) == (0 if pw == used else 4), pw
        assert connack(b, 4, "dave", "dave-pw") == 0


@case
def mosquitto_tools_and_paho_log_in_from_users_file():
    pahoclient.require()
    users = "admin=password\n"
    with props_broker(users) as b:
        creds = ["-u", "admin", "-P", "password"]
        with pahoclient.Client(b, "p", version=5, username="admin", password="password") as p:
            p.subscribe("temperature", qos=2)
            tools.pub(b, "temperature", "22.0", qos=2, version=5, extra=creds)
            m = p.message()
            assert (m.topic, m.payload, m.qos) == ("temperature", b"22.0", 2)
            p.disconnect()
        r = tools.pub(b, "temperature", "x", extra=["-u", "admin", "-P", "nope"], check=False)
        text = (r.stdout + r.stderr).lower()
        assert r.returncode != 0 and "bad user name or password" in text, r


main()
