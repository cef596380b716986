#!/usr/bin/python3
"""18-v5-problem-info: Reason Strings on what the broker sends, Request
Problem Information, and the reason_strings option.

By default a packet with a failure code (CONNACK, DISCONNECT, PUBACK,
PUBREC, SUBACK, UNSUBACK) says why in a Reason String. [MQTT-3.1.2-29]: with
Request Problem Information 0 the Server sends no Reason String or User
Property on any packet but PUBLISH, CONNACK and DISCONNECT. The Reason
String is left out when it would make the packet larger than the client's
Maximum Packet Size ([MQTT-3.2.2-19], [MQTT-3.4.2-2], [MQTT-3.14.2-3]).
`reason_strings false` turns them all off."""
# timeout: 60

from lib import client, mqttjs, pahoclient
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main

# Anonymous clients may use ok/# only (topic lines before any user line).
ACL = "topic readwrite ok/#\n"
CONF = ["acl_file {dir}/acl"]
FILES = {"acl": ACL}


def v5(b, cid, rpi=None, **kw):
    props = dict(kw.pop("props", {}))
    if rpi is not None:
        props["request_problem_information"] = rpi
    return client.connect(b, cid, version=5, props=props, **kw)


def failures(c):
    """A refused PUBLISH (QoS 1 and 2) and a refused SUBSCRIBE; returns the
    three acknowledgements."""
    a1 = c.publish("secret/x", b"1", qos=1, expect_rc=P.RC_NOT_AUTHORIZED)
    a2 = c.publish("secret/x", b"2", qos=2, expect_rc=P.RC_NOT_AUTHORIZED)
    sa = c.subscribe([("ok/t", 1), ("secret/#", 1)], expect_codes=[1, P.RC_NOT_AUTHORIZED])
    return a1, a2, sa


@case(petrel_only="mosquitto 2.0.11 sends no Reason Strings and grants a SUBSCRIBE its ACL "
                   "does not allow")
def failure_acks_say_why():
    with Broker(conf=CONF, files=FILES) as b:
        for rpi in (None, 1):
            c = v5(b, "rs%s" % rpi, rpi=rpi)
            for ack in failures(c):
                assert ack.props.get("reason_string") == "Not authorized", ack
            ok = c.publish("ok/t", b"fine", qos=1)
            assert ok.props == {}, ok  # no reason for success
            u = c.unsubscribe(["ok/t", "bad/#/x"])
            assert u.codes == [0, P.RC_TOPIC_FILTER_INVALID], u
            assert u.props.get("reason_string") == "Topic Filter invalid", u


@case(petrel_only="mosquitto 2.0.11 grants a SUBSCRIBE its ACL does not allow")
def request_problem_information_zero():
    with Broker(conf=CONF, files=FILES) as b:
        c = v5(b, "rpi0", rpi=0)
        for ack in failures(c):
            assert ack.props == {}, ack  # [MQTT-3.1.2-29]
        u = c.unsubscribe(["bad/#/x"])
        assert u.props == {}, u
        # DISCONNECT may still say why.
        c.send(P.publish("ok/t", b"x", qos=3, mid=1, version=5))
        seen = c.expect_closed()
        assert [p.rc for p in seen] == [P.RC_MALFORMED], seen
        assert seen[0].props.get("reason_string"), seen
    # CONNACK too.
    with Broker(conf=["max_client_id_length 23"]) as b:
        r = v5(b, "x" * 24, rpi=0, expect_rc=P.RC_ID_NOT_VALID)
        assert r.connack.props.get("reason_string"), r.connack


@case(petrel_only="reason_strings is a Petrel option")
def reason_strings_off():
    with Broker(conf=CONF + ["reason_strings false", "max_client_id_length 23"],
                files=FILES) as b:
        c = v5(b, "off")
        for ack in failures(c):
            assert ack.props == {}, ack
        c.send(P.publish("ok/t", b"x", qos=3, mid=1, version=5))
        seen = c.expect_closed()
        assert [(p.rc, p.props) for p in seen] == [(P.RC_MALFORMED, {})], seen
        r = v5(b, "y" * 24, expect_rc=P.RC_ID_NOT_VALID)
        assert r.connack.props == {}, r.connack


@case(petrel_only="mosquitto 2.0.11 sends no Reason Strings")
def left_out_when_too_large():
    # A client that takes 16-byte packets: PUBACK 0x87 fits (6 bytes) only
    # without "Not authorized"; so does DISCONNECT 0x81.
    with Broker(conf=CONF, files=FILES) as b:
        c = v5(b, "small", props={"maximum_packet_size": 16})
        a = c.publish("secret/x", b"1", qos=1, expect_rc=P.RC_NOT_AUTHORIZED)
        assert a.props == {}, a
        big = v5(b, "big", props={"maximum_packet_size": 64})
        a = big.publish("secret/x", b"1", qos=1, expect_rc=P.RC_NOT_AUTHORIZED)
        assert a.props.get("reason_string"), a
        c.send(P.publish("ok/t", b"x", qos=3, mid=1, version=5))
        seen = c.expect_closed()
        assert [(p.rc, p.props) for p in seen] == [(P.RC_MALFORMED, {})], seen


@case(petrel_only="reason_strings and max_client_id_length are Petrel options")
def clients_see_the_refusal_reason():
    conf = ["max_client_id_length 23"]
    long_id = "z" * 30
    pahoclient.require()
    mqttjs.require()
    with Broker(conf=conf) as b:
        p = pahoclient.Client(b, long_id, version=5, connect=False)
        _, rc = p.connect(expect_rc=P.RC_ID_NOT_VALID)
        assert "client identifier" in p.connack_props.ReasonString, p.connack_props
        p.close()
        with mqttjs.Client(b) as js:
            js.connect(expect_code=None, clientId=long_id, protocolVersion=5)
            e = js.expect("packet", cmd="connack")
            assert e["reasonCode"] == P.RC_ID_NOT_VALID, e
            assert "client identifier" in e["properties"].get("reasonString", ""), e
    with Broker(conf=conf + ["reason_strings false"]) as b:
        p = pahoclient.Client(b, long_id, version=5, connect=False)
        p.connect(expect_rc=P.RC_ID_NOT_VALID)
        assert not hasattr(p.connack_props, "ReasonString"), p.connack_props
        p.close()


main()
