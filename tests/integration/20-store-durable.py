#!/usr/bin/python3
"""20-store-durable: with `persistence true`, sessions, subscriptions,
queued messages and retained messages outlive a restart and a SIGKILL;
expiry counts the time the broker was down; an unusable store file is set
aside and the broker starts empty; a full store refuses new QoS 1/2
publishes (v5 0x97) and keeps serving."""

import glob
import os
import sqlite3
import time

from lib import client
from lib.broker import Broker
from lib.testing import case, main


def durable(extra=()):
    return Broker(conf=["persistence true", "persistence_location data"] + list(extra))


def park(b, cid, filt, version=4, qos=1):
    """A persistent subscriber that subscribes and goes offline."""
    kw = {"props": {"session_expiry_interval": 3600}} if version == 5 else {}
    c = client.connect(b, cid, version=version, clean=(version == 5), **kw)
    c.subscribe(filt, qos=qos)
    c.disconnect()


def resume(b, cid, version=4):
    kw = {"props": {"session_expiry_interval": 3600}} if version == 5 else {}
    c = client.Client(b, version=version, name=cid)
    ack = c.connect(cid, clean=False, **kw)
    return c, ack


@case(petrel_only="Petrel's durable store")
def state_survives_stop_and_kill():
    # [MQTT-3.1.2-4]/[MQTT-4.1.0-1]: the session (subscriptions, queued QoS 1
    # and 2 messages) and retained messages outlive the broker process.
    with durable() as b:
        park(b, "keep-v4", "keep/#")
        park(b, "keep-v5", "keep/#", version=5, qos=2)
        pub = client.connect(b, "keep-pub", version=5)
        pub.publish("keep/ret", b"retained-1", qos=1, retain=True)
        pub.publish("keep/q", b"one", qos=1)
        pub.publish("keep/q", b"two", qos=2)
        pub.publish("keep/q", b"zero", qos=0)  # QoS 0 is never stored
        pub.disconnect()
        for how in ("stop", "kill"):
            if how == "stop":
                b.restart()
            else:
                b.kill()
                b.start()
            for cid, v in (("keep-v4", 4), ("keep-v5", 5)):
                c, ack = resume(b, cid, v)
                assert ack.session_present, (how, cid, ack)
                if how == "stop":
                    got = [c.expect_publish(timeout=5).payload for _ in range(3)]
                    assert sorted(got) == [b"one", b"retained-1", b"two"], (cid, got)
                c.expect_none(0.3)
                c.disconnect()
        # Subscriptions came back too: a new message reaches the sessions.
        pub = client.connect(b, "keep-pub", version=4)
        pub.publish("keep/after", b"after", qos=1)
        for cid, v in (("keep-v4", 4), ("keep-v5", 5)):
            c, _ = resume(b, cid, v)
            c.expect_publish("keep/after", b"after")
            c.disconnect()
        probe = client.connect(b, "keep-probe")
        probe.subscribe("keep/ret", qos=1)
        probe.expect_publish("keep/ret", b"retained-1", retain=True)


@case(petrel_only="Petrel's durable store")
def expiry_counts_time_down():
    # [MQTT-3.1.2-23] a session ends when its expiry passes, also while the
    # broker is stopped; [MQTT-3.3.2-5] an expired message is not delivered.
    with durable() as b:
        c = client.connect(b, "exp-short", version=5, clean=True,
                           props={"session_expiry_interval": 1})
        c.subscribe("exp/#", qos=1)
        c.disconnect()
        park(b, "exp-long", "exp/#", version=5)
        pub = client.connect(b, "exp-pub", version=5)
        pub.publish("exp/m", b"short-lived", qos=1, props={"message_expiry_interval": 1})
        pub.publish("exp/m", b"long-lived", qos=1, props={"message_expiry_interval": 600})
        pub.disconnect()
        b.stop()
        time.sleep(2.2)
        b.start()
        _, ack = resume(b, "exp-short", 5)
        assert not ack.session_present, ack
        c, ack = resume(b, "exp-long", 5)
        assert ack.session_present, ack
        p = c.expect_publish("exp/m", b"long-lived")
        left = p.props.get("message_expiry_interval")
        assert left is not None and left <= 598, p  # the time down counts
        c.expect_none(0.3)


@case(petrel_only="Petrel's durable store")
def parked_wills_survive_a_crash():
    # [MQTT-3.1.3-9]: a will waits for its delay; the broker dying meanwhile
    # does not lose it. One whose delay ends while the broker is down goes
    # out as soon as it is back, one whose delay has not ended goes out when
    # it does.
    with durable() as b:
        watch_id = "will-watch"
        park(b, watch_id, "wills/#", version=5)
        for cid, delay in (("will-short", 1), ("will-long", 4)):
            c = client.Client(b, version=5, name=cid)
            c.send(client.P.connect(cid, version=5, clean=True,
                                    props={"session_expiry_interval": 600},
                                    will_topic="wills/" + cid, will_payload=("gone " + cid).encode(),
                                    will_qos=1, will_props={"will_delay_interval": delay}))
            c.expect("CONNACK")
            c.close()  # no DISCONNECT: the will is due after its delay
        b.wait_log(r"client disconnected: id=will-long")
        time.sleep(0.3)  # the parked wills reach the store (a commit)
        b.kill()
        time.sleep(1.5)  # will-short's delay ends while the broker is down
        t0 = time.monotonic()
        b.start()
        w, _ = resume(b, watch_id, 5)
        first = w.expect_publish(timeout=3)
        assert first.payload == b"gone will-short", first
        assert time.monotonic() - t0 < 2.0, "the overdue will waited"
        second = w.expect_publish(timeout=6)
        assert second.payload == b"gone will-long", second


@case(petrel_only="Petrel's durable store")
def will_of_a_session_that_expired_while_down():
    # The session ends before the will's delay: the will goes at the
    # session's end [MQTT-3.1.3-9], also when that end came while the broker
    # was down; the session itself is gone after the restart.
    with durable() as b:
        park(b, "we-watch", "we/#", version=5)
        c = client.Client(b, version=5, name="we-short")
        c.send(client.P.connect("we-short", version=5, clean=True,
                                props={"session_expiry_interval": 1},
                                will_topic="we/short", will_payload=b"ended", will_qos=1,
                                will_props={"will_delay_interval": 30}))
        c.expect("CONNACK")
        c.close()
        b.wait_log(r"client disconnected: id=we-short")
        time.sleep(0.3)  # the parked will reaches the store
        b.kill()
        time.sleep(1.5)  # the session's expiry passes while the broker is down
        b.start()
        w, _ = resume(b, "we-watch", 5)
        w.expect_publish("we/short", b"ended", timeout=3)
        time.sleep(1.2)  # the first expiry sweep
        _, ack = resume(b, "we-short", 5)
        assert not ack.session_present, ack


@case(petrel_only="Petrel's durable store")
def will_of_a_connection_the_crash_ended():
    # The broker's death ends the connection without DISCONNECT, so its will
    # goes out after the restart [MQTT-3.1.2-8]; a normal DISCONNECT before
    # the crash discards it [MQTT-3.1.2-10].
    with durable() as b:
        park(b, "wc-watch", "wc/#", version=5)
        for cid in ("wc-online", "wc-polite"):
            c = client.Client(b, version=5, name=cid)
            c.send(client.P.connect(cid, version=5, clean=True,
                                    props={"session_expiry_interval": 600},
                                    will_topic="wc/" + cid, will_payload=b"lost",
                                    will_qos=1))
            c.expect("CONNACK")
            if cid == "wc-polite":
                c.disconnect()
            else:
                keep = c
        time.sleep(0.3)  # the sessions and the will reach the store
        b.kill()
        keep.close()
        b.start()
        w, _ = resume(b, "wc-watch", 5)
        p = w.expect_publish(timeout=3)
        assert p.topic == "wc/wc-online" and p.payload == b"lost", p
        w.expect_none(0.5)


def corrupt_cases():
    def garbage(path):
        with open(path, "wb") as f:
            f.write(b"this is not a database\n" * 200)

    def truncated(path):
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(max(100, size // 3))

    def wrong_version(path):
        db = sqlite3.connect(path)
        db.execute("UPDATE meta SET value = 999 WHERE key = 'schema_version'")
        db.commit()
        db.close()
    return (("garbage", garbage), ("truncated", truncated), ("wrong version", wrong_version))


@case(petrel_only="Petrel's durable store")
def unusable_store_is_set_aside():
    # A store the broker cannot trust is renamed with a timestamp, said
    # loudly in the log, and the broker starts empty instead of refusing to
    # start (a corrupt mosquitto.db keeps mosquitto down).
    for name, damage in corrupt_cases():
        with durable() as b:
            park(b, "cor-sub", "cor/#")
            for i in range(50):
                client.connect(b, "cor-fill").publish("cor/t", b"x" * 200, qos=1)
            b.stop()
            db = b.path("data/petrel.db")
            for extra in ("-wal", "-shm"):
                if os.path.exists(db + extra):
                    os.remove(db + extra)
            damage(db)
            b.start()
            b.wait_log(r"error: .*petrel\.db.*(corrupt|set aside|renamed)")
            aside = glob.glob(db + ".corrupt-*")
            assert aside, (name, os.listdir(b.path("data")))
            _, ack = resume(b, "cor-sub")
            assert not ack.session_present, (name, ack)
            c = client.connect(b, "cor-after")
            c.subscribe("cor/#", qos=1)
            client.connect(b, "cor-pub").publish("cor/t", b"works", qos=1)
            c.expect_publish("cor/t", b"works")


@case(petrel_only="Petrel's durable store")
def full_store_refuses_publishes_and_keeps_serving():
    # Disk full (here: persistence_max_size): a new QoS 1/2 message cannot be
    # stored, so v5 gets PUBACK/PUBREC 0x97 (Quota exceeded), a 3.1.1
    # publisher (which has no such code) is disconnected so it re-sends later;
    # QoS 0 still flows and what was stored before is delivered.
    with durable(["persistence_max_size 1M"]) as b:
        park(b, "full-sub", "full/#")
        live = client.connect(b, "full-live")
        live.subscribe("full/#", qos=0)
        pub = client.connect(b, "full-pub", version=5)
        accepted = 0
        refused = None
        for i in range(400):
            ack = pub.publish("full/t", b"%04d" % i + b"x" * 16000, qos=1)
            if ack.rc == 0x97:
                refused = i
                break
            assert ack.rc == 0, ack
            accepted += 1
        assert refused is not None and accepted > 0, (accepted, refused)
        rec = pub.publish("full/t", b"q2" + b"x" * 16000, qos=2)
        assert rec.rc == 0x97, rec
        v4 = client.connect(b, "full-v4")
        v4.send(client.P.publish("full/t", b"x" * 16000, 1, mid=7, version=4))
        v4.expect_closed()
        pub.publish("full/zero", b"qos0 still flows", qos=0)
        live.wait_for("PUBLISH")
        b.kill()
        b.start()
        c, ack = resume(b, "full-sub")
        assert ack.session_present, ack
        got = set()
        for _ in range(accepted):
            got.add(c.expect_publish("full/t", timeout=5).payload[:4])
        assert got == {b"%04d" % i for i in range(accepted)}, sorted(got)


if __name__ == "__main__":
    main()
