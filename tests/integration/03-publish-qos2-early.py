#!/usr/bin/python3
"""03-publish-qos2-early: Petrel starts onward delivery of an incoming QoS 2
message when its PUBLISH arrives (the spec's "Method A", 3.1.1 figure 4.3),
not at PUBREL; mosquitto waits for PUBREL ("Method B"), so that case is
Petrel-only. Both must have delivered it once PUBCOMP is sent."""

from lib import client
from lib import packets as P
from lib.broker import Broker
from lib.testing import case, main


@case(petrel_only="mosquitto delivers a QoS 2 message onward only at PUBREL")
def delivered_before_pubrel():
    with Broker() as b:
        for v in (4, 5):
            sub = client.connect(b, "early-sub%d" % v, version=v)
            sub.subscribe("early/t", qos=2)
            pub = client.connect(b, "early-pub%d" % v, version=v)
            pub.send(P.publish("early/t", b"now", qos=2, mid=1, version=v))
            pub.expect("PUBREC", mid=1)
            # No PUBREL yet: the subscriber already has it.
            sub.expect_publish("early/t", b"now", qos=2, timeout=2)
            # A DUP re-send before PUBREL still gives one copy [MQTT-4.3.3-2].
            pub.send(P.publish("early/t", b"now", qos=2, mid=1, dup=True, version=v))
            pub.expect("PUBREC", mid=1)
            sub.expect_none(0.4)
            pub.send(P.pubrel(1, version=v))
            pub.expect("PUBCOMP", mid=1)
            sub.expect_none(0.3)


@case(petrel_only="mosquitto delivers a QoS 2 message onward only at PUBREL")
def publisher_that_never_releases_still_delivers():
    # A publisher that dies after PUBREC: the message was accepted (PUBREC)
    # and is delivered anyway.
    with Broker() as b:
        sub = client.connect(b, "nr-sub", version=4)
        sub.subscribe("early/nr", qos=1)
        pub = client.connect(b, "nr-pub", version=4)
        pub.send(P.publish("early/nr", b"orphan", qos=2, mid=5))
        pub.expect("PUBREC", mid=5)
        pub.close()
        sub.expect_publish("early/nr", b"orphan", qos=1, timeout=2)


@case
def delivered_by_pubcomp():
    with Broker() as b:
        for v in (4, 5):
            sub = client.connect(b, "bc-sub%d" % v, version=v)
            sub.subscribe("early/bc", qos=2)
            pub = client.connect(b, "bc-pub%d" % v, version=v)
            pub.publish("early/bc", b"done", qos=2)
            sub.expect_publish("early/bc", b"done", qos=2, timeout=2)
            sub.expect_none(0.3)


main()
