"""Child processes of a test file, each recorded so it can be stopped by PID.

Every process a test starts (brokers, mosquitto_sub, node) goes through
spawn(), which writes PETREL_TEST_DIR/pids/<pid> holding the command line.
stop() ends it (SIGTERM, bounded wait, then SIGKILL) and removes the record.
If a test file is killed before it can clean up, run.py reads the records
left behind and ends those processes itself, by PID, after checking that
/proc/<pid>/cmdline still is the recorded command.
"""

import os
import signal
import subprocess

from . import env


def _pid_dir():
    d = os.path.join(env.test_dir(), "pids")
    os.makedirs(d, exist_ok=True)
    return d


def _cmdline_bytes(args):
    return b"\0".join(os.fsencode(a) for a in args) + b"\0"


def spawn(args, **popen_kw):
    """subprocess.Popen(args, **popen_kw), recorded for clean-up by PID."""
    proc = subprocess.Popen(args, **popen_kw)
    with open(os.path.join(_pid_dir(), str(proc.pid)), "wb") as f:
        f.write(_cmdline_bytes(args))
    return proc


def forget(proc):
    """Drops the record of a process that has exited."""
    try:
        os.unlink(os.path.join(_pid_dir(), str(proc.pid)))
    except FileNotFoundError:
        pass


def stop(proc, timeout=5.0, sig=signal.SIGTERM):
    """Sends sig to proc (if still running), waits up to timeout seconds,
    then SIGKILLs it. Returns (exit status, True if it had to be killed)."""
    killed = False
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
            killed = True
    forget(proc)
    return proc.returncode, killed


def run(args, timeout, input=None, **kw):
    """Runs a command to completion (stdout/stderr captured, as text unless
    text=False) with a hard time limit; input is written to its stdin. On
    timeout the child is killed by PID and subprocess.TimeoutExpired raised."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    kw["stdin"] = subprocess.PIPE if input is not None else subprocess.DEVNULL
    proc = spawn(args, **kw)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=5)
        forget(proc)
        raise
    forget(proc)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def reap_leftovers(test_dir):
    """For run.py: ends the processes a test file left recorded (by PID, when
    /proc/<pid>/cmdline still matches). Returns their command lines."""
    d = os.path.join(test_dir, "pids")
    found = []
    if not os.path.isdir(d):
        return found
    for name in os.listdir(d):
        path = os.path.join(d, name)
        with open(path, "rb") as f:
            want = f.read()
        os.unlink(path)
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                have = f.read()
        except OSError:
            continue
        if have != want:
            continue
        found.append(want.replace(b"\0", b" ").decode(errors="replace").strip())
        try:
            os.kill(int(name), signal.SIGKILL)
        except ProcessLookupError:
            pass
    return found
