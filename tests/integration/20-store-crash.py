#!/usr/bin/python3
"""20-store-crash: nothing the broker acknowledged is lost when it is killed
with SIGKILL at random moments.

A publisher keeps 20 numbered QoS 1 and QoS 2 messages in flight (every
tenth one retained) to two persistent subscribers: one online whenever the
broker runs, one that comes online only every few rounds. The broker is
killed at a random moment in each of ROUNDS rounds and restarted; the
subscribers reconnect without subscribing again. At the end every message
whose PUBACK or PUBCOMP the publisher received has reached both
subscribers, each QoS 2 message exactly once (the subscribers keep their
side of the QoS 2 state across connections, as the protocol requires), and
the retained message is at least as new as the last acknowledged one. The
counts are printed."""

import random
import select
import time

from lib import client, env
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, log, main

ROUNDS = 22
WINDOW = 20
TOPIC = "crash/t"
RETAINED = "crash/retained"


def qos_of(payload):
    return 1 + int(payload[1:]) % 2  # as Publisher.fill sends it


def durable_broker():
    return Broker(conf=["persistence true", "persistence_location data",
                        "max_queued_messages 0", "max_inflight_messages 50"])


class Publisher:
    """Pipelined QoS 1/2 publisher; a new clean connection every round."""

    def __init__(self):
        self.seq = 0
        self.acked = {}         # payload -> qos, final ack received
        self.acked_retained = -1
        self.sent = 0
        self.c = None
        self.inflight = {}      # mid -> (payload, qos, retained)

    def connect(self, b):
        self.c = client.connect(b, "crash-pub", version=5)
        self.inflight = {}

    def fill(self):
        while len(self.inflight) < WINDOW:
            self.seq += 1
            qos = qos_of(b"m%d" % self.seq)
            retained = self.seq % 10 == 0
            payload = b"m%07d" % self.seq
            mid = self.c.next_mid()
            topic = RETAINED if retained else TOPIC
            self.c.send(P.publish(topic, payload, qos, retained, mid=mid, version=5))
            self.inflight[mid] = (payload, qos, retained)
            self.sent += 1

    def on_packet(self, p):
        if p.name not in ("PUBACK", "PUBREC", "PUBCOMP") or p.mid not in self.inflight:
            return
        payload, qos, retained = self.inflight[p.mid]
        assert p.rc < 0x80, "publish refused: %r" % p
        if p.name == "PUBREC":
            self.c.send(P.pubrel(p.mid, version=5))
            return
        del self.inflight[p.mid]
        self.acked[payload] = qos
        if retained:
            self.acked_retained = max(self.acked_retained, int(payload[1:]))


class Subscriber:
    """A persistent-session subscriber keeping its QoS 2 receive state
    (ids awaiting PUBREL) across connections."""

    def __init__(self, cid, version):
        self.cid = cid
        self.version = version
        self.got = {}           # payload -> times delivered to the application
        self.awaiting_rel = set()
        self.c = None
        self.subscribed = False

    def connect(self, b):
        # 3.1.1: Clean Session 0 always; 5: Clean Start once, then resume,
        # with a session expiry that outlives the whole test.
        kw = {"props": {"session_expiry_interval": 3600}} if self.version == 5 else {}
        clean = self.version == 5 and not self.subscribed
        self.c = client.Client(b, version=self.version, name=self.cid)
        ack = self.c.connect(self.cid, clean=clean, **kw)
        if self.subscribed:
            assert ack.session_present, "%s: session lost (CONNACK %r)" % (self.cid, ack)
        else:
            self.c.subscribe([(TOPIC, 2), (RETAINED, 2)], qos=2)
            self.subscribed = True

    def on_packet(self, p):
        v = self.version
        if p.name == "PUBLISH":
            if p.qos == 2 and p.mid in self.awaiting_rel:
                self.c.send(P.pubrec(p.mid, version=v))  # the same message again
                return
            self.got[p.payload] = self.got.get(p.payload, 0) + 1
            if p.qos == 1:
                self.c.send(P.puback(p.mid, version=v))
            elif p.qos == 2:
                self.awaiting_rel.add(p.mid)
                self.c.send(P.pubrec(p.mid, version=v))
        elif p.name == "PUBREL":
            self.awaiting_rel.discard(p.mid)
            self.c.send(P.pubcomp(p.mid, version=v))


def pump(parties, seconds, publisher=None):
    """Moves packets for `seconds`; returns False if the broker went away."""
    end = time.monotonic() + seconds
    live = [x for x in parties if x.c is not None]
    while time.monotonic() < end:
        if publisher is not None:
            publisher.fill()
        socks = {x.c.sock: x for x in live}
        # Bytes that came in with a CONNACK wait in the client, not the socket.
        buffered = [x.c.sock for x in live if x.c.buf or x.c.pending]
        ready, _, _ = select.select(list(socks), [], [], 0 if buffered else 0.05)
        for s in set(ready) | set(buffered):
            x = socks[s]
            try:
                for p in x.c.read_now():
                    x.on_packet(p)
            except (client.Closed, OSError):
                return False
    return True


def drop(parties):
    for x in parties:
        if x.c is not None:
            x.c.close()
            x.c = None


@case(petrel_only="Petrel's durable store")
def acknowledged_messages_survive_sigkill():
    rnd = random.Random(20)
    pub = Publisher()
    online = Subscriber("crash-online", 4)
    sometimes = Subscriber("crash-sometimes", 5)
    kills = 0
    with durable_broker() as b:
        for rnd_no in range(ROUNDS):
            parties = [online, pub]
            online.connect(b)
            if rnd_no % 4 == 0:
                sometimes.connect(b)
                parties.append(sometimes)
            pub.connect(b)
            pump(parties, rnd.uniform(0.1, 0.6), publisher=pub)
            b.kill()
            kills += 1
            drop(parties)
            b.start()
        # Everyone back; deliver what is queued until quiet.
        online.connect(b)
        sometimes.connect(b)
        parties = [online, sometimes]
        quiet_until = time.monotonic() + env.scaled(30)
        last = -1
        while time.monotonic() < quiet_until:
            pump(parties, 1.0)
            total = sum(online.got.values()) + sum(sometimes.got.values())
            if total == last:
                break
            last = total
        probe = client.connect(b, "crash-probe", version=4)
        probe.subscribe(RETAINED, qos=1)
        ret = probe.expect_publish(RETAINED, retain=True)
        probe.disconnect()
        drop(parties)

    acked = pub.acked
    log("rounds with SIGKILL: %d; messages sent %d, acknowledged %d (QoS 2: %d)"
        % (kills, pub.sent, len(acked), sum(1 for q in acked.values() if q == 2)))
    for sub in (online, sometimes):
        missing = [m for m in acked if sub.got.get(m, 0) == 0]
        twice = [m for m, n in sub.got.items() if n > 1 and qos_of(m) == 2]
        dups1 = sum(n - 1 for m, n in sub.got.items() if n > 1 and qos_of(m) == 1)
        log("%s: received %d distinct, %d acknowledged missing, %d QoS 2 twice, "
            "%d QoS 1 duplicates" % (sub.cid, len(sub.got), len(missing), len(twice), dups1))
        assert not missing, "%s lost acknowledged messages: %r" % (sub.cid, missing[:10])
        assert not twice, "%s got QoS 2 messages twice: %r" % (sub.cid, twice[:10])
    assert kills >= 20
    assert int(ret.payload[1:]) >= pub.acked_retained, (ret, pub.acked_retained)


if __name__ == "__main__":
    main()
