#!/usr/bin/python3
"""17-v5-subopts: MQTT 5 subscription options and Subscription Identifiers
(5.0 sections 3.8.3.1, 3.3.4, 3.8.4).

No Local [MQTT-3.8.3-3] (a protocol error on a shared subscription
[MQTT-3.8.3-4]); Retain As Published [MQTT-3.3.1-12] [MQTT-3.3.1-13];
Retain Handling 0/1/2 on new and existing subscriptions [MQTT-3.3.1-9]
[MQTT-3.3.1-10] [MQTT-3.3.1-11], and never for shared subscriptions (3.8.4).
Subscription Identifiers: one copy carries the identifier of every matching
subscription [MQTT-3.3.4-3] [MQTT-3.3.4-4], duplicates included, on live,
retained, queued and re-sent messages; a shared subscription's copy carries
only the receiving member's identifiers (3.3.4).

Peers: raw client (every combination), paho v5, mosquitto_sub (-D subscribe
subscription-identifier), MQTT.js 5 (nl/rap/rh and subscriptionIdentifier)."""
# timeout: 120

from lib import client, mqttjs, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

so = P.sub_options
ONE_COPY = ("mosquitto 2.0.11 sends a copy per matching subscription (3.3.4 allows that "
            "too); Petrel sends one copy with every identifier")


def v5(b, cid, **kw):
    return client.connect(b, cid, version=5, **kw)


def ids(p):
    return sorted(p.props.get("subscription_identifier", []))


# --- No Local ----------------------------------------------------------------

@case
def no_local_skips_own_messages():
    # [MQTT-3.8.3-3]: not forwarded to the connection that published it;
    # other publishers' messages still arrive, and without No Local the
    # client gets its own.
    with Broker() as b:
        c = v5(b, "nl-a")
        c.subscribe([("nl/t", so(qos=1, nl=True)), ("nl/all", so(qos=1))])
        other = v5(b, "nl-b")
        c.publish("nl/t", b"mine", qos=1)
        other.publish("nl/t", b"theirs", qos=1)
        c.expect_publish("nl/t", b"theirs", qos=1)
        c.publish("nl/all", b"echo", qos=1)
        c.expect_publish("nl/all", b"echo", qos=1)
        c.expect_none(0.3)
        c.disconnect()
        other.disconnect()


@case(petrel_only="mosquitto 2.0.11 accepts No Local on a shared subscription")
def no_local_on_shared_subscription_is_protocol_error():
    # [MQTT-3.8.3-4]
    with Broker() as b:
        c = v5(b, "nl-share")
        c.send(P.subscribe(1, [("$share/g/nl/s", so(qos=1, nl=True))], version=5))
        got = c.expect_closed()
        assert [p.rc for p in got] == [P.RC_PROTOCOL_ERROR], got


@case
def no_local_paho_and_mqttjs():
    pahoclient.require()
    mqttjs.require()
    with Broker() as b:
        with pahoclient.Client(b, "nl-paho", version=5) as p:
            p.subscribe("nlp/#", qos=1, no_local=True)
            p.publish("nlp/own", b"own", qos=1)
            raw = v5(b, "nl-paho-raw")
            raw.publish("nlp/other", b"other", qos=1)
            m = p.message()
            assert (m.topic, m.payload) == ("nlp/other", b"other"), m
            p.expect_none(0.3)
            p.disconnect()
        with mqttjs.Client(b, name="nl-js") as js:
            js.connect(clientId="nl-js", protocolVersion=5)
            js.subscribe("nlj/#", qos=1, nl=True)
            js.publish("nlj/own", "own", qos=1)
            raw.publish("nlj/other", b"other", qos=1)
            m = js.expect("message")
            assert (m["topic"], m["payload"]) == ("nlj/other", "other"), m
            js.expect_none(duration=0.3)
            js.end()
        raw.disconnect()


# --- Retain As Published and Retain Handling ----------------------------------

@case
def retain_as_published():
    # [MQTT-3.3.1-12]: RAP 0 forwards with RETAIN 0; [MQTT-3.3.1-13]: RAP 1
    # keeps the publisher's flag. Retained messages sent because of the
    # subscription have RETAIN 1 either way (3.8.3.1).
    with Broker() as b:
        pub = v5(b, "rap-pub")
        pub.publish("rap/old", b"stored", qos=1, retain=True)
        c0 = v5(b, "rap-0")
        c0.subscribe([("rap/#", so(qos=1))])
        c0.expect_publish("rap/old", b"stored", retain=True)
        c1 = v5(b, "rap-1")
        c1.subscribe([("rap/#", so(qos=1, rap=True))])
        c1.expect_publish("rap/old", b"stored", retain=True)
        pub.publish("rap/new", b"r", qos=1, retain=True)
        pub.publish("rap/new", b"n", qos=1, retain=False)
        c0.expect_publish("rap/new", b"r", retain=False)
        c0.expect_publish("rap/new", b"n", retain=False)
        c1.expect_publish("rap/new", b"r", retain=True)
        c1.expect_publish("rap/new", b"n", retain=False)
        for c in (c0, c1, pub):
            c.disconnect()


@case
def retain_handling_every_combination():
    # [MQTT-3.3.1-9] RH 0: at every subscribe; [MQTT-3.3.1-10] RH 1: only
    # when the subscription is new; [MQTT-3.3.1-11] RH 2: never. Each with
    # RAP 0 and 1 (no effect on retained-at-subscribe messages).
    with Broker() as b:
        pub = v5(b, "rh-pub")
        pub.publish("rh/a", b"A", qos=1, retain=True)
        pub.publish("rh/b", b"B", qos=1, retain=True)
        for rh, first, again in ((0, 2, 2), (1, 2, 0), (2, 0, 0)):
            for rap in (False, True):
                c = v5(b, "rh-%d-%d" % (rh, rap))
                for want in (first, again):
                    c.subscribe([("rh/#", so(qos=1, rap=rap, rh=rh))])
                    got = sorted(c.expect_publish(retain=True).payload for _ in range(want))
                    assert got == [b"A", b"B"][:want], (rh, rap, got)
                    c.expect_none(0.2)
                c.disconnect()
        pub.disconnect()


@case
def retain_handling_new_after_unsubscribe():
    # After UNSUBSCRIBE the subscription no longer exists: RH 1 sends again.
    with Broker() as b:
        c = v5(b, "rh-un")
        c.publish("rhu/t", b"R", qos=1, retain=True)
        c.subscribe([("rhu/t", so(qos=1, rh=1))])
        c.expect_publish("rhu/t", b"R", retain=True)
        c.unsubscribe("rhu/t")
        c.subscribe([("rhu/t", so(qos=1, rh=1))])
        c.expect_publish("rhu/t", b"R", retain=True)
        c.disconnect()


@case(petrel_only="mosquitto 2.0.11 sends retained messages to new shared subscriptions")
def no_retained_messages_for_shared_subscriptions():
    # 3.8.4 / 4.8.2: no retained messages are sent when a shared subscription
    # is made, whatever Retain Handling says (3.1.1 clients alike); live
    # messages still arrive, with RETAIN per Retain As Published.
    with Broker() as b:
        pub = v5(b, "sh-ret-pub")
        pub.publish("shr/t", b"old", qos=1, retain=True)
        c = v5(b, "sh-ret")
        c.subscribe([("$share/g/shr/#", so(qos=1, rh=0)), ("$share/h/shr/#", so(qos=1, rap=True))])
        c311 = client.connect(b, "sh-ret-311", version=4)
        c311.subscribe("$share/k/shr/#", qos=1)
        c.expect_none(0.3)
        c311.expect_none(0.1)
        pub.publish("shr/t", b"new", qos=1, retain=True)
        got = sorted((p.retain, p.payload) for p in
                     (c.expect_publish("shr/t"), c.expect_publish("shr/t")))
        assert got == [(False, b"new"), (True, b"new")], got
        c311.expect_publish("shr/t", b"new", retain=False)
        for x in (c, c311, pub):
            x.disconnect()


@case
def retain_handling_mqttjs_and_paho():
    pahoclient.require()
    mqttjs.require()
    with Broker() as b:
        raw = v5(b, "rh3-raw")
        raw.publish("rh3/t", b"kept", qos=1, retain=True)
        with mqttjs.Client(b, name="rh3-js") as js:
            js.connect(clientId="rh3-js", protocolVersion=5)
            js.subscribe("rh3/#", qos=1, rh=2)
            js.expect_none(duration=0.3)
            js.subscribe("rh3/t", qos=1, rh=1)
            m = js.expect("message", topic="rh3/t")
            assert (m["payload"], m["retain"]) == ("kept", True), m
            js.subscribe("rh3/t", qos=1, rh=1)  # exists now: nothing
            js.expect_none(duration=0.3)
            js.end()
        with pahoclient.Client(b, "rh3-paho", version=5) as p:
            p.subscribe("rh3/t", qos=1, rap=True)
            m = p.message()
            assert (m.payload, m.retain) == (b"kept", 1), m
            raw.publish("rh3/t", b"live", qos=1, retain=True)
            m = p.message()
            assert (m.payload, m.retain) == (b"live", 1), m  # as published
            p.disconnect()
        raw.disconnect()


# --- Subscription Identifiers -------------------------------------------------

@case
def identifier_on_matching_messages():
    # 3.3.4: the PUBLISH carries the identifier of the subscription; none
    # when the subscription has none.
    with Broker() as b:
        c = v5(b, "sid-one")
        c.subscribe("sid/a", qos=1, props={"subscription_identifier": 268435455})
        c.subscribe("sid/b", qos=1)
        c.publish("sid/a", b"a", qos=1)
        c.publish("sid/b", b"b", qos=0)
        assert ids(c.expect_publish("sid/a", b"a")) == [268435455]
        p = c.expect_publish("sid/b", b"b")
        assert "subscription_identifier" not in p.props, p
        c.disconnect()


@case(petrel_only=ONE_COPY)
def overlapping_subscriptions_one_copy_every_identifier():
    # [MQTT-3.3.4-2] one copy at the highest QoS; [MQTT-3.3.4-3]
    # [MQTT-3.3.4-4] with every matching subscription's identifier, the same
    # one twice when two subscriptions share it (3.3.4).
    with Broker() as b:
        c = v5(b, "sid-over")
        c.subscribe("o/#", qos=0, props={"subscription_identifier": 1})
        c.subscribe("o/+", qos=2, props={"subscription_identifier": 2})
        c.subscribe("o/t", qos=1)  # no identifier
        c.subscribe("+/t", qos=1, props={"subscription_identifier": 2})
        pub = v5(b, "sid-over-pub")
        pub.publish("o/t", b"x", qos=2)
        p = c.expect_publish("o/t", b"x", qos=2)
        assert ids(p) == [1, 2, 2], p
        c.expect_none(0.3)
        pub.publish("o/u", b"y", qos=1)
        assert ids(c.expect_publish("o/u", b"y", qos=1)) == [1, 2]
        c.disconnect()
        pub.disconnect()


@case
def identifier_replaced_or_removed_with_the_subscription():
    # 3.8.4: a SUBSCRIBE for the same filter with another identifier, or
    # none, replaces it; UNSUBSCRIBE removes it.
    with Broker() as b:
        c = v5(b, "sid-repl")
        c.subscribe("r/t", qos=1, props={"subscription_identifier": 5})
        c.subscribe("r/t", qos=1, props={"subscription_identifier": 6})
        c.publish("r/t", b"1", qos=1)
        assert ids(c.expect_publish("r/t", b"1")) == [6]
        c.subscribe("r/t", qos=1)
        c.publish("r/t", b"2", qos=1)
        p = c.expect_publish("r/t", b"2")
        assert "subscription_identifier" not in p.props, p
        c.subscribe("r/#", qos=1, props={"subscription_identifier": 9})
        c.unsubscribe("r/t")
        c.publish("r/t", b"3", qos=1)
        assert ids(c.expect_publish("r/t", b"3")) == [9]
        c.expect_none(0.2)
        c.disconnect()


@case(petrel_only=ONE_COPY)
def identifier_on_retained_queued_and_resent_messages():
    # Retained at subscribe: the new subscription's identifier. Queued for
    # an offline session and re-sent with DUP after a reconnect: all the
    # identifiers of the match, kept with the message.
    with Broker() as b:
        kw = {"clean": False, "props": {"session_expiry_interval": 60}}
        pub = v5(b, "sid-q-pub")
        pub.publish("q/r", b"ret", qos=1, retain=True)
        c = v5(b, "sid-q", **kw)
        c.subscribe("q/#", qos=1, props={"subscription_identifier": 11})
        assert ids(c.expect_publish("q/r", b"ret", retain=True)) == [11]
        c.subscribe("q/+", qos=1, props={"subscription_identifier": 12})
        c.expect_publish("q/r", b"ret", retain=True)
        c.disconnect()
        pub.publish("q/a", b"queued", qos=1)
        c = v5(b, "sid-q", **kw)
        p = c.expect_publish("q/a", b"queued", ack=False)
        assert ids(p) == [11, 12], p
        c.close()  # not acknowledged: re-sent on the next connection
        c = v5(b, "sid-q", **kw)
        p = c.expect_publish("q/a", b"queued", dup=True)
        assert ids(p) == [11, 12], p
        c.disconnect()
        pub.disconnect()


@case
def shared_subscription_carries_the_members_own_identifier():
    # 3.3.4: a shared subscription's PUBLISH carries only the identifiers
    # from the SUBSCRIBE of the client receiving it.
    with Broker() as b:
        m1 = v5(b, "sid-sh-1")
        m1.subscribe("$share/g/sh/t", qos=1, props={"subscription_identifier": 101})
        m2 = v5(b, "sid-sh-2")
        m2.subscribe("$share/g/sh/t", qos=1, props={"subscription_identifier": 102})
        pub = v5(b, "sid-sh-pub")
        for i in range(4):
            pub.publish("sh/t", b"%d" % i, qos=1)
        got = client.drain_all([m1, m2])
        for c, want in ((m1, 101), (m2, 102)):
            pubs = [p for p in got[c] if p.name == "PUBLISH"]
            assert len(pubs) == 2, (want, pubs)
            assert all(ids(p) == [want] for p in pubs), pubs
        for c in (m1, m2, pub):
            c.disconnect()


@case
def v311_subscriber_gets_no_identifiers():
    with Broker() as b:
        c = client.connect(b, "sid-311", version=4)
        c.subscribe("v3/#", qos=1)
        pub = v5(b, "sid-311-pub")
        pub.publish("v3/t", b"x", qos=1)
        p = c.expect_publish("v3/t", b"x")
        assert p.props == {}, p
        c.disconnect()
        pub.disconnect()


@case(petrel_only=ONE_COPY)
def identifiers_paho_mosquitto_sub_mqttjs():
    pahoclient.require()
    mqttjs.require()
    with Broker() as b:
        raw = v5(b, "sid-3p-raw")
        with pahoclient.Client(b, "sid-paho", version=5) as p, \
                tools.Sub(b, "tp/#", qos=1, version=5, v5props=True,
                          extra=["-D", "subscribe", "subscription-identifier", "77"]) as s, \
                mqttjs.Client(b, name="sid-js") as js:
            p.subscribe("tp/#", qos=1, properties={"SubscriptionIdentifier": 5})
            p.subscribe("tp/+", qos=1, properties={"SubscriptionIdentifier": 6})
            js.connect(clientId="sid-js", protocolVersion=5)
            js.subscribe("tp/#", qos=1, properties={"subscriptionIdentifier": 42})
            raw.publish("tp/x", b"hello", qos=1)
            m = p.message()
            assert sorted(pahoclient.prop(m, "SubscriptionIdentifier")) == [5, 6], m.properties
            m = s.message()
            assert m.props.get("subscription_identifier") == 77, m
            m = js.expect("message", topic="tp/x")
            sid = m["properties"].get("subscriptionIdentifier")
            assert sid in (42, [42]), m
            js.end()
            p.disconnect()
        raw.disconnect()


main()
