#!/usr/bin/python3
"""17-v5-topic-alias: MQTT 5 Topic Aliases in both directions (5.0 section
3.3.2.3.4).

Client to broker: the broker announces Topic Alias Maximum (max_topic_alias,
default 10) in CONNACK and accepts aliases 1..max; a PUBLISH with a topic and
an alias sets or replaces the mapping, one with an empty topic uses it; 0 or
above the maximum is DISCONNECT 0x94, an empty topic with an alias never set
is DISCONNECT 0x82, and mappings do not outlive the connection.

Broker to client: only for a client whose CONNECT gave a Topic Alias Maximum;
the first PUBLISH on a topic carries topic and alias, later ones an empty
topic and the alias; never above the client's maximum (nor max_topic_alias);
the least recently used alias is reassigned when all are taken; a new
connection starts with no aliases, re-sent messages included.

Peers: our raw client (exact bytes), mosquitto_pub (-D publish topic-alias),
mosquitto_sub (announces no maximum: gets none), paho 1.6 (sets mappings; has
no alias support of its own), MQTT.js 5 (topicAliasMaximum and
autoAssignTopicAlias, both directions)."""
# timeout: 120

from lib import client, env, mqttjs, pahoclient, tools
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main, petrel_only

ALIAS_SEND = "mosquitto 2.0.11 sends no Topic Aliases to clients (sending them is optional)"


def v5(b, cid, **props):
    return client.connect(b, cid, version=5, props=props or None)


# --- client to broker --------------------------------------------------------

@case
def connack_announces_topic_alias_maximum():
    # [MQTT-3.2.2-17]: the client may use aliases up to the value in CONNACK;
    # absent means none [MQTT-3.2.2-18]. mosquitto's key and default (10).
    with Broker() as b:
        c = v5(b, "tam")
        assert c.connack.props.get("topic_alias_maximum") == 10, c.connack
        c.disconnect()
    with Broker(conf=["max_topic_alias 3"]) as b:
        c = v5(b, "tam3")
        assert c.connack.props.get("topic_alias_maximum") == 3, c.connack
        c.disconnect()
    with Broker(conf=["max_topic_alias 0"]) as b:
        c = v5(b, "tam0")
        assert "topic_alias_maximum" not in c.connack.props, c.connack
        c.disconnect()


@case
def alias_set_then_used_with_empty_topic():
    # [MQTT-3.3.2-12]: aliases 1..max are accepted; the subscriber sees the
    # real topic name, never the alias of the publisher's connection.
    with Broker() as b:
        sub = v5(b, "ta-sub")
        sub.subscribe("ta/#", qos=1)
        pub = v5(b, "ta-pub")
        pub.publish("ta/long/topic/name", b"1", qos=1, props={"topic_alias": 10})
        pub.publish("", b"2", qos=1, props={"topic_alias": 10})
        pub.send(P.publish("", b"3", qos=0, props={"topic_alias": 10}, version=5))
        pub.publish("", b"4", qos=2, props={"topic_alias": 10})
        for n in (b"1", b"2", b"3", b"4"):
            p = sub.expect_publish("ta/long/topic/name", n)
            assert "topic_alias" not in p.props, p
        # A topic with the same alias replaces the mapping (3.3.2.3.4).
        pub.publish("ta/other", b"5", qos=1, props={"topic_alias": 10})
        pub.publish("", b"6", qos=1, props={"topic_alias": 10})
        sub.expect_publish("ta/other", b"5")
        sub.expect_publish("ta/other", b"6")
        # Two aliases at once, each its own mapping.
        pub.publish("ta/one", b"7", qos=1, props={"topic_alias": 1})
        pub.publish("", b"8", qos=1, props={"topic_alias": 10})
        pub.publish("", b"9", qos=1, props={"topic_alias": 1})
        sub.expect_publish("ta/one", b"7")
        sub.expect_publish("ta/other", b"8")
        sub.expect_publish("ta/one", b"9")
        sub.expect_none(0.2)
        pub.disconnect()
        sub.disconnect()


@case
def alias_zero_is_topic_alias_invalid():
    # [MQTT-3.3.2-8]: a Topic Alias of 0 is not permitted; 3.3.4: 0x94.
    with Broker() as b:
        c = v5(b, "ta-zero")
        c.send(P.publish("ta/z", b"x", qos=0, props={"topic_alias": 0}, version=5))
        got = c.expect_closed()
        # mosquitto 2.0.11 says 0x81 (Malformed Packet) here.
        if not env.is_mosquitto():
            assert [p.rc for p in got] == [P.RC_TOPIC_ALIAS_INVALID], got


@case
def alias_above_maximum_is_topic_alias_invalid():
    # [MQTT-3.3.2-9]: not above the CONNACK's maximum; 3.3.4: 0x94.
    with Broker(conf=["max_topic_alias 3"]) as b:
        c = v5(b, "ta-big")
        c.publish("ta/3", b"ok", qos=1, props={"topic_alias": 3})
        c.send(P.publish("ta/4", b"x", qos=1, mid=9, props={"topic_alias": 4}, version=5))
        got = c.expect_closed()
        assert [p.rc for p in got] == [P.RC_TOPIC_ALIAS_INVALID], got


@case
def alias_when_none_announced_is_invalid():
    # [MQTT-3.2.2-18]: no Topic Alias Maximum in CONNACK, no aliases at all.
    with Broker(conf=["max_topic_alias 0"]) as b:
        c = v5(b, "ta-none")
        c.send(P.publish("ta/n", b"x", qos=0, props={"topic_alias": 1}, version=5))
        got = c.expect_closed()
        assert [p.rc for p in got] == [P.RC_TOPIC_ALIAS_INVALID], got


@case
def empty_topic_with_unknown_alias_is_protocol_error():
    # 3.3.4 step 3a: an empty Topic Name with an alias that has no mapping
    # is a Protocol Error (0x82).
    with Broker() as b:
        c = v5(b, "ta-unset")
        c.publish("ta/u", b"ok", qos=1, props={"topic_alias": 1})
        c.send(P.publish("", b"x", qos=1, mid=5, props={"topic_alias": 2}, version=5))
        got = c.expect_closed()
        assert [p.rc for p in got] == [P.RC_PROTOCOL_ERROR], got


@case
def empty_topic_without_alias_is_protocol_error():
    # 3.3.2.1: a zero-length Topic Name without a Topic Alias is a Protocol Error.
    with Broker() as b:
        c = v5(b, "ta-empty")
        c.send(P.publish("", b"x", qos=0, version=5))
        got = c.expect_closed()
        assert [p.rc for p in got] == [P.RC_PROTOCOL_ERROR], got


@case
def mappings_do_not_outlive_the_connection():
    # [MQTT-3.3.2-7]: a receiver does not carry a mapping to another
    # connection, even of the same session.
    with Broker() as b:
        sub = v5(b, "ta-life-sub")
        sub.subscribe("ta/life", qos=1)
        kw = {"session_expiry_interval": 60}
        pub = client.connect(b, "ta-life", version=5, clean=False, props=kw)
        pub.publish("ta/life", b"1", qos=1, props={"topic_alias": 2})
        sub.expect_publish("ta/life", b"1")
        pub.disconnect()
        pub = client.connect(b, "ta-life", version=5, clean=False, props=kw)
        assert pub.connack.session_present
        pub.send(P.publish("", b"2", qos=1, mid=7, props={"topic_alias": 2}, version=5))
        got = pub.expect_closed()
        assert [p.rc for p in got] == [P.RC_PROTOCOL_ERROR], got
        sub.expect_none(0.3)


@case
def v311_client_gets_no_alias_properties():
    # 3.1.1 has no properties: nothing changes for it.
    with Broker() as b:
        c = client.connect(b, "ta-311", version=4)
        assert c.connack.props == {}, c.connack
        c.subscribe("ta/311", qos=1)
        c.publish("ta/311", b"x", qos=1)
        c.expect_publish("ta/311", b"x", qos=1)
        c.disconnect()


@case
def mosquitto_pub_uses_an_alias():
    # mosquitto_pub -D publish topic-alias N sends the topic with the alias
    # once, then empty topics with the alias (--repeat).
    with Broker() as b:
        sub = v5(b, "ta-mp-sub")
        sub.subscribe("ta/mp/#", qos=1)
        r = tools.pub(b, "ta/mp/t", "m", qos=1, version=5,
                      extra=["-D", "publish", "topic-alias", "5", "--repeat", "3", "-d"])
        assert r.stdout.count("'(null)'") == 2, r.stdout  # two sent with an empty topic
        for _ in range(3):
            sub.expect_publish("ta/mp/t", b"m", qos=1)
        sub.expect_none(0.2)
        sub.disconnect()


@case
def paho_sets_a_mapping():
    # paho 1.6 sends a Topic Alias property as given (with the topic); the
    # broker takes it and the subscribers get the topic.
    pahoclient.require()
    with Broker() as b:
        sub = v5(b, "ta-paho-sub")
        sub.subscribe("ta/paho/#", qos=1)
        with pahoclient.Client(b, "ta-paho", version=5) as p:
            for i in range(3):
                p.publish("ta/paho/%d" % (i % 2), b"p%d" % i, qos=1,
                          properties={"TopicAlias": 1})
            p.disconnect()
        for i in range(3):
            sub.expect_publish("ta/paho/%d" % (i % 2), b"p%d" % i, qos=1)
        sub.disconnect()


# --- broker to client --------------------------------------------------------

@case(petrel_only=ALIAS_SEND)
def broker_assigns_and_reuses_aliases():
    # First use: topic and alias; later: empty topic and the same alias
    # (3.3.2.3.4); within the client's maximum [MQTT-3.3.2-11]; least
    # recently used alias reassigned when all are taken.
    with Broker() as b:
        sub = v5(b, "ta-out", topic_alias_maximum=2)
        sub.subscribe("out/#", qos=1)
        pub = v5(b, "ta-out-pub")
        want = [("out/a", "out/a", 1), ("out/a", "", 1), ("out/b", "out/b", 2),
                ("out/a", "", 1), ("out/c", "out/c", 2),  # b was least recently used
                ("out/c", "", 2), ("out/b", "out/b", 1),  # now a was
                ("out/b", "", 1)]
        for i, (topic, wire, alias) in enumerate(want):
            pub.publish(topic, b"%d" % i, qos=i % 2)
            p = sub.expect_publish(wire, b"%d" % i)
            assert p.props.get("topic_alias") == alias, (i, p)
        pub.disconnect()
        sub.disconnect()


@case
def no_alias_without_client_maximum():
    # [MQTT-3.1.2-27]: absent or 0 Topic Alias Maximum, no alias is sent.
    with Broker() as b:
        for props in ({}, {"topic_alias_maximum": 0}):
            sub = v5(b, "ta-noout", **props)
            sub.subscribe("nout/#", qos=1)
            for i in range(3):
                sub.publish("nout/t", b"%d" % i, qos=1)
                p = sub.expect_publish("nout/t", b"%d" % i)
                assert "topic_alias" not in p.props, p
            sub.disconnect()


@case(petrel_only=ALIAS_SEND)
def outbound_aliases_bounded_by_max_topic_alias():
    # The broker's own limit caps what it assigns even when the client
    # accepts more; with max_topic_alias 0 it assigns none.
    with Broker(conf=["max_topic_alias 1"]) as b:
        sub = v5(b, "ta-cap", topic_alias_maximum=100)
        sub.subscribe("cap/#", qos=0)
        for i, t in enumerate(["cap/a", "cap/b", "cap/a"]):
            sub.publish(t, b"%d" % i)
            p = sub.expect_publish(t, b"%d" % i)
            assert p.props.get("topic_alias") == 1, p
        sub.disconnect()
    with Broker(conf=["max_topic_alias 0"]) as b:
        sub = v5(b, "ta-cap0", topic_alias_maximum=100)
        sub.subscribe("cap/#", qos=0)
        sub.publish("cap/a", b"x")
        p = sub.expect_publish("cap/a", b"x")
        assert "topic_alias" not in p.props, p
        sub.disconnect()


@case(petrel_only=ALIAS_SEND)
def new_connection_starts_without_aliases():
    # [MQTT-3.3.2-7]: a reconnecting client (same session) gets topic and
    # alias again; a message re-sent with DUP after the reconnect carries its
    # topic, not an alias of the old connection.
    with Broker() as b:
        kw = {"session_expiry_interval": 60, "topic_alias_maximum": 5}
        sub = client.connect(b, "ta-re", version=5, clean=False, props=kw)
        sub.subscribe("re/#", qos=1)
        pub = v5(b, "ta-re-pub")
        pub.publish("re/t", b"1", qos=1)
        sub.expect_publish("re/t", b"1")
        pub.publish("re/t", b"2", qos=1)
        p = sub.expect_publish("", b"2", ack=False)  # aliased; not acknowledged
        assert p.props.get("topic_alias") == 1, p
        sub.close()
        sub = client.connect(b, "ta-re", version=5, clean=False, props=kw)
        p = sub.expect_publish("re/t", b"2", dup=True)
        assert p.props.get("topic_alias") == 1, p  # a new mapping, set again
        pub.publish("re/t", b"3", qos=1)
        p = sub.expect_publish("", b"3")
        assert p.props.get("topic_alias") == 1, p
        sub.disconnect()
        pub.disconnect()


@case
def mosquitto_sub_announces_no_maximum_and_gets_no_alias():
    # mosquitto_sub sends no Topic Alias Maximum: topics arrive in full and
    # %A (the topic-alias property) stays empty [MQTT-3.1.2-27].
    with Broker() as b:
        with tools.Sub(b, "msa/#", qos=1, version=5, v5props=True) as s:
            pub = v5(b, "ta-msa-pub")
            for i in range(3):
                pub.publish("msa/t", b"%d" % i, qos=1)
            for i, m in enumerate(s.messages(3)):
                assert (m.topic, m.payload) == ("msa/t", b"%d" % i), m
                assert "topic_alias" not in m.props, m
            pub.disconnect()


@case
def mqttjs_aliases_both_ways():
    # MQTT.js 5 with topicAliasMaximum receives aliased topics (it resolves
    # them), and with autoAssignTopicAlias sends aliases of its own.
    mqttjs.require()
    with Broker() as b:
        raw = v5(b, "ta-js-raw")
        raw.subscribe("js/#", qos=1)
        with mqttjs.Client(b, name="ta-js-sub") as sub, \
                mqttjs.Client(b, name="ta-js-pub") as pub:
            sub.connect(clientId="ta-js-sub", protocolVersion=5,
                        properties={"topicAliasMaximum": 2})
            sub.subscribe("js/#", qos=1)
            pub.connect(clientId="ta-js-pub", protocolVersion=5, autoAssignTopicAlias=True)
            topics = ["js/a", "js/a", "js/b", "js/c", "js/a"]
            for i, t in enumerate(topics):
                pub.publish(t, "m%d" % i, qos=1)
            got = [(m["topic"], m["payload"]) for m in sub.messages(len(topics))]
            assert got == [(t, "m%d" % i) for i, t in enumerate(topics)], got
            for i, t in enumerate(topics):
                raw.expect_publish(t, "m%d" % i, qos=1)
            sub.end()
            pub.end()
        raw.disconnect()


@case(petrel_only=ALIAS_SEND)
def mqttjs_receives_aliases_within_its_maximum():
    mqttjs.require()
    with Broker() as b:
        pub = v5(b, "ta-js2-pub")
        with mqttjs.Client(b, name="ta-js2") as js:
            js.connect(clientId="ta-js2", protocolVersion=5, properties={"topicAliasMaximum": 1})
            js.subscribe("js2/#", qos=0)
            for i, t in enumerate(["js2/a", "js2/a", "js2/b", "js2/b"]):
                pub.publish(t, b"%d" % i)
                m = js.expect("message", topic=t)
                assert m["properties"].get("topicAlias") == 1, m
            js.end()
        pub.disconnect()


main()
