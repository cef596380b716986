#!/usr/bin/python3
"""08-auth-acl: an acl_file with `user` blocks, `pattern` lines (%c, %u),
`deny` lines and the anonymous block (topic lines before any user line),
checked with raw packets in 3.1.1 and 5, paho and mosquitto_sub/pub.

- A subscription the ACL does not allow gets SUBACK 0x80 "failure" (3.1.1)
  or 0x87 "not authorized" (5), and the connection stays up. mosquitto 2.0
  grants such a subscription and then delivers nothing on it, so those
  checks are Petrel-only.
- A publish the ACL does not allow is not delivered; in 3.1.1 it is still
  acknowledged (PUBACK / PUBREC), in 5 PUBACK / PUBREC carry 0x87.
- Read access is checked again at delivery: a subscription that is allowed
  as a whole (`sensors/#`) does not receive from a `deny` topic inside it."""
# timeout: 120

import os

from lib import authfiles, client, env, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

ACL = """\
# anonymous clients
topic read public/#
topic readwrite anon/#

user alice
topic readwrite sensors/#
topic deny sensors/secret
topic read status/+

topic write users/#

user bob
topic read sensors/+/temp
topic write cmd/bob

user carol
topic write sensors/#

pattern readwrite clients/%c/#
pattern read users/%u/#
"""
USERS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}


def acl_broker(anonymous=True, acl=ACL):
    b = Broker(conf=["allow_anonymous %s" % ("true" if anonymous else "false"),
                     "password_file {dir}/passwd", "acl_file {dir}/acl"], files={"acl": acl})
    os.makedirs(b.dir, exist_ok=True)
    for i, (user, password) in enumerate(sorted(USERS.items())):
        authfiles.mosquitto_passwd(b.path("passwd"), user, password, create=i == 0)
    return b


def login(b, client_id, user=None, version=4):
    kw = {}
    if user:
        kw = {"username": user, "password": USERS[user].encode()}
    return client.connect(b, client_id, version=version, **kw)


def refused_sub(version):
    return 0x87 if version == 5 else 0x80


def subscribe_codes(c, filters, qos=1):
    """SUBACK codes for one SUBSCRIBE carrying every filter in filters."""
    mid = c.next_mid()
    c.send(P.subscribe(mid, filters, qos=qos, version=c.version))
    return list(c.wait_for("SUBACK", mid).codes)


def subscribe_denied(c, topic_filter):
    """Subscribes to a filter the ACL denies: Petrel refuses it in SUBACK;
    mosquitto grants it (and delivers nothing on it)."""
    codes = subscribe_codes(c, [topic_filter])
    if not env.is_mosquitto():
        assert codes == [refused_sub(c.version)], (topic_filter, codes)


@case(petrel_only="mosquitto 2.0 grants every subscription and filters at delivery")
def subscribe_denied_gets_failure_code():
    with acl_broker() as b:
        for v in (4, 5):
            a = login(b, "a%d" % v, "alice", v)
            assert subscribe_codes(a, ["sensors/#", "other/x", "status/+", "sensors/secret"]) \
                == [1, refused_sub(v), 1, refused_sub(v)], v
            bob = login(b, "b%d" % v, "bob", v)
            # `topic read sensors/+/temp` covers that filter and narrower
            # ones, not sensors/#; write-only cmd/bob is not readable.
            assert subscribe_codes(bob, ["sensors/+/temp", "sensors/k/temp", "sensors/#",
                                         "cmd/bob"]) == [1, 1, refused_sub(v), refused_sub(v)]
            anon = login(b, "n%d" % v, None, v)
            assert subscribe_codes(anon, ["public/#", "anon/x", "sensors/#"], qos=2) \
                == [2, 2, refused_sub(v)]
            for c in (a, bob, anon):
                c.ping()  # a refused subscription does not end the connection
                c.disconnect()


@case
def publish_denied_is_not_delivered_311_still_acked():
    with acl_broker() as b:
        watch = login(b, "watch", "alice")
        watch.subscribe("sensors/#", qos=2)
        bob = login(b, "bob1", "bob")
        for q in (0, 1, 2):
            ack = bob.publish("sensors/b/temp", b"denied-q%d" % q, qos=q)
            if q:
                assert ack is not None  # PUBACK, or PUBCOMP after PUBREC/PUBREL
        bob.ping()
        watch.expect_none(0.5)
        alice = login(b, "alice1", "alice")
        alice.publish("sensors/b/temp", b"allowed", qos=1)
        watch.expect_publish("sensors/b/temp", b"allowed", qos=1)


@case
def publish_denied_v5_gets_0x87():
    with acl_broker() as b:
        watch = login(b, "watch", "alice", 5)
        watch.subscribe("sensors/#", qos=2)
        bob = login(b, "bob5", "bob", 5)
        bob.publish("sensors/b/temp", b"q1", qos=1, expect_rc=0x87)
        ack = bob.publish("sensors/b/temp", b"q2", qos=2, expect_rc=0x87)
        assert ack.name == "PUBREC", ack  # the flow ends at a PUBREC >= 0x80
        bob.publish("sensors/b/temp", b"q0", qos=0)
        bob.ping()
        watch.expect_none(0.5)
        ack = bob.publish("cmd/bob", b"allowed", qos=1)
        assert ack.rc < 0x80, ack  # 0, or 0x10 "no matching subscribers"


@case
def deny_line_wins_inside_a_granted_subtree():
    with acl_broker() as b:
        for v in (4, 5):
            watch = login(b, "w%d" % v, "alice", v)
            watch.subscribe("sensors/#", qos=1)
            pub = login(b, "p%d" % v, "alice", v)
            pub.publish("sensors/secret", b"hidden", qos=1,
                        expect_rc=0x87 if v == 5 else None)
            pub.publish("sensors/open", b"seen", qos=1)
            watch.expect_publish("sensors/open", b"seen", qos=1)
            watch.expect_none(0.3)
            watch.disconnect()
            pub.disconnect()


@case
def read_right_checked_at_delivery():
    # carol may write all of sensors/#. alice's granted sensors/# does not
    # receive sensors/secret (her deny line); bob's sensors/+/temp receives
    # only temp topics.
    with acl_broker() as b:
        for v in (4, 5):
            alice = login(b, "ra%d" % v, "alice", v)
            alice.subscribe("sensors/#", qos=1)
            bob = login(b, "rb%d" % v, "bob", v)
            bob.subscribe("sensors/+/temp", qos=1)
            carol = login(b, "rc%d" % v, "carol", v)
            for topic, payload in (("sensors/secret", b"s"), ("sensors/k/temp", b"21"),
                                   ("sensors/k/hum", b"40")):
                carol.publish(topic, payload, qos=1)
            alice.expect_publish("sensors/k/temp", b"21", qos=1)
            alice.expect_publish("sensors/k/hum", b"40", qos=1)
            bob.expect_publish("sensors/k/temp", b"21", qos=1)
            alice.expect_none(0.3)
            bob.expect_none(0.1)
            subscribe_denied(carol, "sensors/#")  # write-only
            for c in (alice, bob, carol):
                c.disconnect()


@case
def pattern_lines_use_client_id_and_user_name():
    with acl_broker() as b:
        for v in (4, 5):
            rc = 0x87 if v == 5 else None
            dev = login(b, "dev1-%d" % v, "bob", v)
            mine, other = "clients/dev1-%d/x" % v, "clients/dev2/x"
            dev.subscribe(mine, qos=1)
            dev.publish(mine, b"own", qos=1)
            dev.expect_publish(mine, b"own", qos=1)
            watch = login(b, "dev2", "alice", v)
            watch.subscribe("clients/dev2/#", qos=1)
            dev.publish(other, b"not yours", qos=1, expect_rc=rc)
            watch.expect_none(0.3)
            # %u: bob reads users/bob/#, not users/alice/#; alice may write
            # users/# but read only users/alice/#.
            dev.subscribe("users/bob/#", qos=1)
            subscribe_denied(dev, "users/alice/#")
            watch.subscribe("users/alice/#", qos=1)
            watch.publish("users/bob/inbox", b"for bob", qos=1)
            dev.expect_publish("users/bob/inbox", b"for bob", qos=1)
            watch.publish("users/alice/inbox", b"for alice", qos=1)
            watch.expect_publish("users/alice/inbox", b"for alice", qos=1)
            dev.expect_none(0.3)
            for c in (dev, watch):
                c.disconnect()


@case
def anonymous_block_applies_to_clients_without_user_name():
    with acl_broker() as b:
        for v in (4, 5):
            anon = login(b, "an%d" % v, None, v)
            anon.subscribe("anon/#", qos=1)
            anon.publish("anon/a", b"x", qos=1)
            anon.expect_publish("anon/a", b"x", qos=1)
            reader = login(b, "pub%d" % v, None, v)
            reader.subscribe("public/#", qos=1)
            anon.publish("public/a", b"no", qos=1, expect_rc=0x87 if v == 5 else None)
            reader.expect_none(0.3)
            # alice has no public/# line: not in her block, and the
            # anonymous block is not hers.
            a = login(b, "al%d" % v, "alice", v)
            a.publish("anon/a", b"alice", qos=1, expect_rc=0x87 if v == 5 else None)
            anon.expect_none(0.3)
            for c in (anon, reader, a):
                c.disconnect()


@case
def pattern_with_wildcards_in_client_id_or_user_name_grants_nothing_more():
    # A client id or user name holding + or # must not turn a pattern line
    # into a wildcard over other clients' branches: client id "+" with
    # `pattern readwrite clients/%c/#` gets no read of clients/dev2/...
    with acl_broker() as b:
        authfiles.mosquitto_passwd(b.path("passwd"), "+", "plus-pw")
        authfiles.reload(b)
        for v in (4, 5):
            victim = login(b, "dev2", "alice", v)
            thief = login(b, "+", None, v)
            subscribe_denied(thief, "clients/+/#")
            thief_u = client.connect(b, "by-name-%d" % v, version=v, username="+",
                                     password=b"plus-pw")
            subscribe_denied(thief_u, "users/+/#")
            victim.publish("clients/dev2/secret", b"mine", qos=1)
            alice = login(b, "alice-w%d" % v, "alice", v)
            alice.publish("users/bob/secret", b"bob's", qos=1)
            thief.expect_none(0.3)
            thief_u.expect_none(0.1)
            for c in (victim, thief, thief_u, alice):
                c.disconnect()


@case
def leading_hash_in_the_acl_does_not_cover_sys():
    # [MQTT-4.7.2-1]: a filter starting with a wildcard does not match
    # topics starting with $; the same holds for ACL lines, so `topic # `
    # alone does not give $SYS (the instance's acl.conf adds a $SYS line).
    acl = ("user alice\ntopic readwrite #\n\n"
           "user bob\ntopic readwrite #\ntopic read $SYS/#\n")
    with acl_broker(acl=acl) as b:
        for v in (4, 5):
            alice = login(b, "sys-a%d" % v, "alice", v)
            subscribe_denied(alice, "$SYS/broker/version")
            alice.expect_none(0.3)
            bob = login(b, "sys-b%d" % v, "bob", v)
            bob.subscribe("$SYS/broker/version", qos=0)
            p = bob.expect_publish("$SYS/broker/version", retain=True)
            assert p.payload, p
            alice.disconnect()
            bob.disconnect()


@case
def paho_and_mosquitto_tools_follow_the_acl():
    pahoclient.require()
    with acl_broker() as b:
        with pahoclient.Client(b, "paho-bob", version=5, username="bob",
                               password="bob-pw") as p:
            p.subscribe("sensors/+/temp", qos=2)
            alice = ["-u", "alice", "-P", "alice-pw"]
            tools.pub(b, "sensors/x/temp", "19.5", qos=2, version=5, extra=alice)
            tools.pub(b, "sensors/secret", "no", qos=1, version=4, extra=alice)
            m = p.message()
            assert (m.topic, m.payload, m.qos) == ("sensors/x/temp", b"19.5", 2)
            p.expect_none(0.3)
            with tools.Sub(b, "sensors/#", qos=1, version=4, extra=alice) as s:
                p.publish("sensors/y/temp", b"denied to bob", qos=1)
                tools.pub(b, "sensors/y/hum", "55", qos=1, extra=alice)
                assert s.messages(1) == [tools.Message("sensors/y/hum", b"55", 1, False)]
                s.expect_none(0.3)
            p.disconnect()


main()
