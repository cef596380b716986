"""A pair of well-behaved clients that keep talking while a test abuses the
broker on other connections: a broken client must lose only its own
connection (DESIGN.md: "never another client's data touched")."""

from . import client


class Bystander:
    def __init__(self, broker, name="bystander", version=4):
        self.sub = client.connect(broker, name + "-sub", version=version)
        self.sub.subscribe(name + "/t", qos=1)
        self.pub = client.connect(broker, name + "-pub", version=version)
        self.topic = name + "/t"
        self.count = 0

    def check(self):
        """One QoS 1 message from pub to sub, round trip, plus a ping each."""
        self.count += 1
        payload = b"still alive %d" % self.count
        self.pub.publish(self.topic, payload, qos=1)
        self.sub.expect_publish(self.topic, payload, qos=1)
        self.sub.ping()
        self.pub.ping()
