#!/usr/bin/python3
"""14-instance-create: `petrel create DIR` and `petrel run DIR` as the README
tutorial (steps 1 and 2) promises: the files and their modes, the admin
password printed once and stored only as a hash, a non-empty DIR refused,
and the instance running with that login (anonymous clients refused, log in
DIR/log/petrel.log). Petrel-only."""
# timeout: 120

import os
import stat

from lib import authfiles, client, env, tools
from lib.instance import DEFAULT_PORTS, DefaultPortsLock, InstanceBroker, create, run_petrel
from lib.testing import case, main

PETREL = "petrel create and petrel run"
FILES = {  # path: (kind, mode)
    "etc": ("dir", None),
    "etc/petrel.conf": ("file", None),
    "etc/users.properties": ("file", 0o600),   # password hashes: owner only
    "etc/groups.properties": ("file", None),
    "etc/acl.conf": ("file", None),
    "data": ("dir", None),
    "log": ("dir", None),
}


@case(petrel_only=PETREL)
def create_writes_the_instance_and_prints_the_password():
    inst = create("mybroker")
    assert inst.user == "admin", inst.output
    assert len(inst.password) >= 12, inst.output
    for rel, (kind, mode) in FILES.items():
        st = os.stat(inst.path(rel))
        is_dir = stat.S_ISDIR(st.st_mode)
        assert is_dir == (kind == "dir"), rel
        if mode is not None:
            assert stat.S_IMODE(st.st_mode) == mode, (rel, oct(st.st_mode))
        # Nothing is writable by others.
        assert not st.st_mode & 0o002, (rel, oct(st.st_mode))
    users = inst.read("etc", "users.properties")
    admin = [l for l in users.splitlines() if l.startswith("admin=")]
    assert len(admin) == 1 and admin[0].startswith("admin=$7$"), users
    for rel in FILES:
        if FILES[rel][0] == "file":
            assert inst.password not in inst.read(*rel.split("/")), rel
    groups = [l for l in inst.read("etc", "groups.properties").splitlines()
              if l and not l.startswith("#")]
    assert groups == ["admins=admin"], groups
    acl = [l.strip() for l in inst.read("etc", "acl.conf").splitlines()
           if l.strip() and not l.startswith("#")]
    assert acl[:2] == ["group admins", "topic readwrite #"], acl
    # The generated config is valid as it is.
    r = run_petrel(["-t", "-c", inst.conf_path])
    assert r.returncode == 0 and "configuration OK" in r.stdout, r


@case(petrel_only=PETREL)
def each_instance_gets_its_own_password():
    a, b = create("one"), create("two")
    assert a.password != b.password
    assert a.read("etc", "users.properties") != b.read("etc", "users.properties")


@case(petrel_only=PETREL)
def create_refuses_a_non_empty_directory():
    d = os.path.join(env.test_dir(), "occupied")
    os.makedirs(d)
    with open(os.path.join(d, "keep.txt"), "w") as f:
        f.write("mine\n")
    r = run_petrel(["create", d])
    assert r.returncode != 0, r
    assert "not empty" in r.stderr and d in r.stderr, r.stderr
    assert os.listdir(d) == ["keep.txt"], os.listdir(d)
    # An existing instance is not overwritten either: the password stays.
    inst = create("existing")
    before = inst.read("etc", "users.properties")
    r = run_petrel(["create", inst.dir])
    assert r.returncode != 0 and "password" not in r.stdout, r
    assert inst.read("etc", "users.properties") == before


@case(petrel_only=PETREL)
def create_fills_an_empty_directory():
    d = os.path.join(env.test_dir(), "empty")
    os.makedirs(d)
    r = run_petrel(["create", d])
    assert r.returncode == 0, r
    assert os.path.isfile(os.path.join(d, "etc", "petrel.conf"))


@case(petrel_only=PETREL)
def run_instance_with_the_printed_login():
    inst = create("running")
    with InstanceBroker(inst) as b:
        log = b.wait_log(r"running: \d+ threads?, 1 user")
        assert log, b.log_text()
        c = client.connect(b, "admin-client", version=5, username="admin",
                           password=inst.password.encode())
        c.subscribe("temperature", qos=2)
        creds = ["-u", "admin", "-P", inst.password]
        tools.pub(b, "temperature", "21.5", qos=2, extra=creds)
        c.expect_publish("temperature", b"21.5", qos=2)
        # allow_anonymous false in the generated config.
        anon = client.Client(b, version=4)
        assert anon.connect("anon", expect_rc=None).rc == 5
        anon.close()
        bad = client.Client(b, version=4)
        assert bad.connect("bad", expect_rc=None, username="admin",
                           password=b"not-it").rc == 4
        bad.close()
        c.disconnect()
        assert b.wait_log(r"client connected: id=admin-client .*user=admin")
    # The log went to the instance's log/ (log_dest file ../log/petrel.log).
    text = inst.read("log", "petrel.log")
    assert "stopped" in text.splitlines()[-1], text[-500:]


@case(petrel_only=PETREL)
def tutorial_step5_add_a_user_then_sighup():
    # `petrel run mybroker` from the folder above it, then petrel-passwd
    # reading the password from standard input, then kill -HUP.
    inst = create("step5")
    with InstanceBroker(inst, relative=True) as b:
        users = inst.path("etc", "users.properties")
        r = authfiles.petrel_passwd_run([users, "alice"], input="alice-pw\n")
        assert "alice=$7$" in inst.read("etc", "users.properties"), r
        assert os.stat(users).st_mode & 0o777 == 0o600
        authfiles.reload(b)
        alice = client.connect(b, "alice", version=5, username="alice",
                               password=b"alice-pw")
        # Not in a group yet: acl.conf gives her nothing.
        alice.publish("temperature", b"20", qos=1, expect_rc=0x87)
        groups = inst.read("etc", "groups.properties").replace("admins=admin",
                                                                "admins=admin|alice")
        with open(inst.path("etc", "groups.properties"), "w") as f:
            f.write(groups)
        authfiles.reload(b)
        admin = client.connect(b, "admin", version=5, username="admin",
                               password=inst.password.encode())
        admin.subscribe("temperature", qos=2)
        alice.publish("temperature", b"21", qos=2)
        admin.expect_publish("temperature", b"21", qos=2)
        alice.disconnect()
        admin.disconnect()


@case(petrel_only=PETREL)
def run_needs_an_instance():
    d = os.path.join(env.test_dir(), "not-an-instance")
    os.makedirs(d)
    r = run_petrel(["run", d])
    assert r.returncode == 1, r
    assert "is not a Petrel instance" in r.stderr and "petrel create" in r.stderr, r.stderr


@case(petrel_only=PETREL)
def run_instance_on_its_own_ports():
    # The generated config as it is: 127.0.0.1 ports 1883 and 61613.
    inst = create("default-ports")
    with DefaultPortsLock(), InstanceBroker(inst, default_ports=True) as b:
        assert b.ports == list(DEFAULT_PORTS), b.ports
        for port in b.ports:
            c = client.connect(("127.0.0.1", port), "p%d" % port, username="admin",
                               password=inst.password.encode())
            c.disconnect()


main()
