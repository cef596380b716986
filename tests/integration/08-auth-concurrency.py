#!/usr/bin/python3
"""08-auth-concurrency: password checks run off the event loops (DESIGN:
hashing never blocks a loop). With a deliberately slow hash (PBKDF2 with
many iterations, written by petrel-passwd -I; mosquitto reads it too):
many logins at once each get their own right answer, a client that goes
away while its password is being checked harms nobody, other clients are
served meanwhile, and SIGHUP while checks are in flight swaps the users
safely. Run with --sanitized these are the use-after-free probes."""
# timeout: 180

import os
import socket
import threading

from lib import authfiles, client, env
from lib import packets as P
from lib.authfiles import bad_login_code
from lib.broker import Broker
from lib.testing import case, main

SLOW = "50000"  # PBKDF2 iterations: a check takes tens of milliseconds


def slow_broker(conf=()):
    b = Broker(conf=["allow_anonymous true", "password_file {dir}/passwd"]
               + list(conf))
    os.makedirs(b.dir, exist_ok=True)
    authfiles.petrel_passwd(b.path("passwd"), "slow", "slow-pw", create=True,
                            extra=["-I", SLOW])
    authfiles.petrel_passwd(b.path("passwd"), "fast", "fast-pw")
    return b


def login_code(b, user, password, version, out, i):
    try:
        c = client.Client(b, version=version, timeout=30)
        try:
            out[i] = c.connect("par-%d" % i, expect_rc=None, username=user,
                               password=password.encode()).rc
        finally:
            c.close()
    except Exception as e:  # reported by the caller
        out[i] = e


@case
def many_logins_at_once_get_their_own_answers():
    n = 16
    with slow_broker() as b:
        jobs = []
        for i in range(n):
            good = i % 2 == 0
            version = 5 if i % 3 == 0 else 4
            jobs.append(("slow", "slow-pw" if good else "wrong", version,
                         0 if good else bad_login_code(version)))
        out = [None] * n
        threads = [threading.Thread(target=login_code, args=(b, u, p, v, out, i))
                   for i, (u, p, v, _) in enumerate(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=env.scaled(60))
        want = [w for _, _, _, w in jobs]
        assert out == want, list(zip(out, want))


@case
def loops_serve_others_while_a_password_is_checked():
    with slow_broker() as b:
        anon = client.connect(b, "anon-busy", version=5)
        anon.subscribe("busy/#", qos=1)
        socks = []
        for i in range(8):  # eight slow checks in the pool
            s = socket.create_connection(b.addr)
            s.sendall(P.connect("slow-%d" % i, version=4, username="slow",
                                password=b"slow-pw"))
            socks.append(s)
        for i in range(20):
            anon.publish("busy/%d" % i, b"x", qos=1)
            anon.expect_publish("busy/%d" % i, b"x", qos=1)
        for s in socks:
            s.close()
        anon.disconnect()


@case
def client_gone_during_its_password_check():
    with slow_broker() as b:
        for i in range(20):
            s = socket.create_connection(b.addr)
            s.sendall(P.connect("gone-%d" % i, version=5 if i % 2 else 4, username="slow",
                                password=b"slow-pw" if i % 3 else b"wrong"))
            if i % 5 == 0:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            s.close()
        # Same client id again while the first check may still run: the
        # later connection must be the one that ends up connected.
        first = socket.create_connection(b.addr)
        first.sendall(P.connect("dup-id", version=4, username="slow", password=b"slow-pw"))
        second = client.connect(b, "dup-id", version=4, username="slow",
                                password=b"slow-pw", timeout=30)
        first.close()
        second.ping()
        second.disconnect()
        c = client.connect(b, "after", version=5, username="fast", password=b"fast-pw")
        c.ping()
        c.disconnect()


@case(petrel_only="checks against Petrel's reload log line")
def sighup_while_checks_are_in_flight():
    with slow_broker() as b:
        n = 12
        out = [None] * n
        threads = [threading.Thread(target=login_code,
                                    args=(b, "slow", "slow-pw", 4, out, i)) for i in range(n)]
        for t in threads:
            t.start()
        for _ in range(5):
            authfiles.reload(b)
        for t in threads:
            t.join(timeout=env.scaled(60))
        assert out == [0] * n, out
        assert b.log_text().count("reload: users and ACL reloaded") == 5


main()
