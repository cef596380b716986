#!/usr/bin/python3
"""20-store-cli: the operator commands for the persistent store,
`petrel store check|export|import DIR ...`, on instances and on plain store
directories: an export made by hand is imported, checked and exported again
row for row; import refuses a store that is not empty and bad or truncated
input (leaving the target as it was); export never overwrites; check reports
unusable files (garbage, truncated, a newer schema) with exit 1 and leaves
them in place (setting them aside is the broker's job at start-up); usage
errors exit 2. The broker does not use the store yet, so stores are made
through `petrel store import`. Petrel-only."""
# timeout: 120

import base64
import json
import os
import sqlite3

from lib import env, testing
from lib.instance import create, run_petrel
from lib.testing import case, main

PETREL = "petrel store"


def b64(data):
    return base64.b64encode(data).decode()


ROWS = [
    {"type": "msg", "seq": 1, "qos": 1, "retain": True, "expiry": 0, "topic": "temperature",
     "props": "", "payload": b64(b"21.5")},
    {"type": "msg", "seq": 2, "qos": 2, "retain": False, "expiry": 4102444800000,
     "topic_b64": b64(b"bad\xff/topic"), "props": b64(b"\x26\x00\x01k\x00\x01v"),
     "payload": b64(bytes(range(256)))},
    {"type": "session", "seq": 3, "client_id": "sensor-1", "username": "admin",
     "expiry_interval": 3600, "will_msg": 0, "will_delay": 0, "offline_at": 1700000000000,
     "next_pid": 12},
    {"type": "sub", "session": 3, "filter": "temperature/#", "opts": 1, "sub_id": 0},
    {"type": "entry", "seq": 4, "session": 3, "msg": 2, "qos": 2, "flags": 0, "state": 2,
     "pid": 11, "sub_id": 0},
    {"type": "qos2", "session": 3, "pid": 7},
    {"type": "retain", "topic": "temperature", "msg": 1},
]


def export_text(rows=ROWS, end=True, version=1):
    lines = [json.dumps({"format": "petrel-store-export", "version": version})]
    lines += [json.dumps(r) for r in rows]
    if end:
        lines.append(json.dumps({"type": "end", "rows": len(rows)}))
    return "\n".join(lines) + "\n"


def write(name, text):
    path = os.path.join(env.test_dir(), "%s-%s" % (testing.current_case(), name))
    with open(path, "w") as f:
        f.write(text)
    return path


def scratch(name):
    path = os.path.join(env.test_dir(), "%s-%s" % (testing.current_case(), name))
    os.makedirs(path, exist_ok=True)
    return path


def store(*args, **kw):
    return run_petrel(["store"] + list(args), **kw)


def rows_of(text):
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["format"] == "petrel-store-export" and lines[0]["version"] == 1, lines[0]
    assert lines[-1] == {"type": "end", "rows": len(lines) - 2}, lines[-1]
    return lines[1:-1]


def corpses(d):
    return [n for n in os.listdir(d) if ".corrupt-" in n]


@case(petrel_only=PETREL)
def import_check_export_round_trip_on_an_instance():
    inst = create()
    r = store("check", inst.dir)
    assert r.returncode == 1 and "there is no store here" in r.stdout, r
    src = write("in.jsonl", export_text())
    r = store("import", inst.dir, src)
    assert r.returncode == 0, r
    assert "imported 7 rows: 2 messages, 1 retained topics, 1 sessions" in r.stderr, r.stderr
    assert os.path.exists(inst.path("data", "petrel.db")), os.listdir(inst.path("data"))
    assert [n for n in os.listdir(inst.path("data")) if "import" in n] == []

    r = store("check", inst.dir)
    assert r.returncode == 0, r
    for line in ("schema version: 1", "integrity: ok",
                 "messages: 2 (retained topics 1, wills 0)", "sessions: 1 (offline 1)",
                 "subscriptions: 1", "queue entries: 1 (queued 0, awaiting PUBACK 0, PUBREC 1",
                 "QoS 2 ids awaiting PUBREL: 1", "result: OK"):
        assert line in r.stdout, (line, r.stdout)

    out = os.path.join(env.test_dir(), "out.jsonl")
    r = store("export", inst.dir, out)
    assert r.returncode == 0, r
    assert "exported 7 rows" in r.stderr and out in r.stderr, r.stderr
    assert os.stat(out).st_mode & 0o077 == 0, oct(os.stat(out).st_mode)
    with open(out) as f:
        exported = f.read()
    assert rows_of(exported) == ROWS, exported
    r = store("export", inst.dir, "-")
    assert r.returncode == 0 and rows_of(r.stdout) == ROWS, r
    assert "standard output" in r.stderr, r.stderr

    # The file is an ordinary SQLite database with what was imported.
    db = sqlite3.connect(inst.path("data", "petrel.db"))
    try:
        (payload,) = db.execute("SELECT payload FROM msg WHERE seq = 2").fetchone()
        assert payload == bytes(range(256))
    finally:
        db.close()


@case(petrel_only=PETREL)
def plain_directory_and_stdin():
    d = scratch("store")
    r = store("import", d, "-", input=export_text())
    assert r.returncode == 0 and "standard input" not in r.stderr, r
    r = store("check", d)
    assert r.returncode == 0 and "result: OK" in r.stdout, r
    # Into a second, new directory from the first one's export.
    d2 = os.path.join(env.test_dir(), "new-store")
    r = store("export", d, "-")
    r2 = store("import", d2, "-", input=r.stdout)
    assert r2.returncode == 0, r2
    assert rows_of(store("export", d2, "-").stdout) == ROWS


@case(petrel_only=PETREL)
def import_refuses_and_leaves_the_target_alone():
    d = scratch("store")
    db = os.path.join(d, "petrel.db")
    bad = [
        (export_text(end=False), "in.jsonl:8: the input ends without its end line: the export "
                                 "is truncated"),
        (export_text(version=2), "in.jsonl:1: export format version 2; this petrel reads "
                                 "version 1"),
        ("not json\n", "in.jsonl:1: not a JSON object"),
        (export_text(ROWS[:2] + [{"type": "entry", "seq": 9}]), "in.jsonl:4: 'session' is "
                                                               "missing or not a number"),
    ]
    for text, want in bad:
        r = store("import", d, write("in.jsonl", text))
        assert r.returncode == 1, (want, r)
        assert want in r.stderr, (want, r.stderr)
        assert not os.path.exists(db), want
        assert os.listdir(d) == [], os.listdir(d)
    r = store("import", d, write("in.jsonl", export_text()))
    assert r.returncode == 0, r
    r = store("import", d, write("in.jsonl", export_text()))
    assert r.returncode == 1 and "already holds 7 rows" in r.stderr, r
    r = store("import", d, os.path.join(env.test_dir(), "missing.jsonl"))
    assert r.returncode == 1 and "No such file" in r.stderr, r


@case(petrel_only=PETREL)
def export_never_overwrites():
    d = scratch("store")
    assert store("import", d, "-", input=export_text()).returncode == 0
    out = write("exists.jsonl", "keep me\n")
    r = store("export", d, out)
    assert r.returncode == 1 and "never overwrites" in r.stderr, r
    with open(out) as f:
        assert f.read() == "keep me\n"


@case(petrel_only=PETREL)
def check_reports_unusable_files_and_moves_nothing():
    d = scratch("store")
    db = os.path.join(d, "petrel.db")
    with open(db, "wb") as f:
        f.write(b"this is not a database" * 100)
    r = store("check", d)
    assert r.returncode == 1, r
    assert "not an SQLite database" in r.stdout and "result: PROBLEMS" in r.stdout, r.stdout
    assert "moves such a file aside" in r.stdout, r.stdout
    assert corpses(d) == [], os.listdir(d)

    os.unlink(db)
    assert store("import", d, "-", input=export_text()).returncode == 0
    size = os.path.getsize(db)
    with open(db, "r+b") as f:
        f.truncate(size // 2)
    r = store("check", d)
    assert r.returncode == 1 and "truncated" in r.stdout, r.stdout
    assert corpses(d) == []

    os.unlink(db)
    assert store("import", d, "-", input=export_text()).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = 99 WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    r = store("check", d)
    assert r.returncode == 1 and "schema version 99 is newer" in r.stdout, r.stdout
    r = store("export", d, "-")
    assert r.returncode == 1 and "newer" in r.stderr and r.stdout == "", r
    assert corpses(d) == []


@case(petrel_only=PETREL)
def usage_errors_exit_2():
    d = scratch("store")
    for args in (["store"], ["store", "frob", d], ["store", "check"], ["store", "check", d, "x"],
                 ["store", "export", d], ["store", "import", d, "a", "b"]):
        r = run_petrel(args)
        assert r.returncode == 2, (args, r)
        assert "Usage: petrel store check DIR" in r.stderr, (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)
    r = run_petrel(["--help"])
    assert "store check DIR" in r.stdout and "store export DIR FILE" in r.stdout, r.stdout


main()
