"""Password files written by the real tools, for auth and ACL tests.

    authfiles.mosquitto_passwd(b.path("passwd"), "alice", "secret", create=True)
    authfiles.mosquitto_passwd(path, "bob", "pw", sha512=True)     # a $6$ line
    authfiles.petrel_passwd(b.path("users.properties"), "carol", "pw")
    authfiles.reload(b)                  # SIGHUP, wait for the log to show it

Each runs the tool with -b (password on the command line), bounded in
time, and fails the case when it exits non-zero.
"""

import os
import re

from . import env, procs, testing

MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"


def _run(args, input=None):
    r = procs.run(args, env.scaled(20), input=input)
    if r.returncode != 0:
        raise AssertionError("%s: status %d\n%s%s" % (" ".join(args), r.returncode,
                                                      r.stdout, r.stderr))
    return r


def mosquitto_passwd(path, user, password, create=False, sha512=False):
    """Debian's mosquitto_passwd: $7$ (PBKDF2-SHA512) lines, or $6$
    (salted SHA512) with sha512=True."""
    args = [MOSQUITTO_PASSWD]
    if sha512:
        args += ["-H", "sha512"]
    if create:
        args.append("-c")
    return _run(args + ["-b", path, user, password])


def mosquitto_passwd_delete(path, user):
    """mosquitto_passwd -D: removes user from the file."""
    return _run([MOSQUITTO_PASSWD, "-D", path, user])


def petrel_passwd_run(args, check=True, input=None):
    """build/bin/petrel-passwd with args (CompletedProcess; status 0 checked
    unless check=False); input is written to its standard input."""
    args = [os.path.join(env.BIN, "petrel-passwd")] + list(args)
    return _run(args, input) if check else procs.run(args, env.scaled(20), input=input)


def petrel_passwd(path, user, password, create=False, extra=()):
    """build/bin/petrel-passwd: the format follows the file name (.properties
    is Apollo's user=hash, anything else mosquitto's user:hash)."""
    args = [os.path.join(env.BIN, "petrel-passwd")] + list(extra)
    if create:
        args.append("-c")
    return _run(args + ["-b", path, user, password])


def read(path):
    with open(path) as f:
        return f.read()


def bad_login_code(version):
    """CONNACK code for a wrong password or an unknown user. Petrel follows
    the specification's meaning (3.1/3.1.1: 4 "bad user name or password";
    5: 0x86); mosquitto 2.0 answers 5 / 0x87 "not authorized" instead."""
    if env.is_mosquitto():
        return 0x87 if version == 5 else 5
    return 0x86 if version == 5 else 4


def not_authorized_code(version):
    """CONNACK code for an anonymous client where anonymous access is off."""
    return 0x87 if version == 5 else 5


RELOAD_DONE = {"petrel": r"reload: (users and ACL reloaded|.*keeping the current users)",
               "mosquitto": r"Reloading config\."}


def reload(b, timeout=10):
    """SIGHUP to the broker, then waits (bounded) until its log shows the
    reload was handled (Petrel: done or refused; mosquitto: started).
    Returns the new log text since the broker started."""
    rx = re.compile(RELOAD_DONE[b.kind])
    before = len(rx.findall(b.log_text()))
    b.reload()
    testing.wait_until(lambda: len(rx.findall(b.log_text())) > before, timeout,
                       what="the broker's log to show the SIGHUP reload")
    return b.log_text()
