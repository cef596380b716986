#!/usr/bin/python3
"""Runs one of the tutorial's original programs, unchanged, with three test
hooks around it (the program's own source text is executed as it is):

  --readings N  time.sleep() is shortened to --sleep seconds, and the
                program ends (exit 0) after its Nth call: the sensor stops
                after N readings instead of running forever.
  --client-id ID  mqtt.Client() called without a client id gets ID as its
                first argument: paho 1.6's Client(client_id) signature.
  every PUBLISH the program makes is reported on stderr as
                `runner: published TOPIC PAYLOAD qos=Q`, so a test can
                compare what was sent with what arrived.

With paho-mqtt 2.x (which needs a callback API version) the Client gets
CallbackAPIVersion.VERSION1, the callback signatures the originals use.

    runner.py [--readings N] [--sleep S] [--client-id ID] PROGRAM.py
"""

import argparse
import runpy
import sys
import time

import paho.mqtt.client as mqtt


def patch_sleep(readings, seconds):
    real_sleep = time.sleep
    calls = [0]

    def sleep(_requested):
        calls[0] += 1
        real_sleep(seconds)
        if readings and calls[0] >= readings:
            print("runner: stopping after %d readings" % calls[0], file=sys.stderr, flush=True)
            sys.exit(0)
    time.sleep = sleep


def patch_client(client_id):
    real_client = mqtt.Client
    api = getattr(mqtt, "CallbackAPIVersion", None)

    def client(*args, **kw):
        if client_id is not None and not args and "client_id" not in kw:
            args = (client_id,)
        if api is not None:
            # paho 2.x: Client(callback_api_version, client_id, ...).
            if args:
                kw["client_id"], args = args[0], args[1:]
            kw.setdefault("callback_api_version", api.VERSION1)
        return real_client(*args, **kw)
    mqtt.Client = client


def patch_publish():
    real_publish = mqtt.Client.publish

    def publish(self, topic, payload=None, qos=0, retain=False, *args, **kw):
        info = real_publish(self, topic, payload, qos, retain, *args, **kw)
        print("runner: published %s %s qos=%d" % (topic, payload, qos), file=sys.stderr,
              flush=True)
        return info
    mqtt.Client.publish = publish


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--readings", type=int, default=0)
    p.add_argument("--sleep", type=float, default=0.1)
    p.add_argument("--client-id")
    p.add_argument("program")
    a = p.parse_args()
    patch_sleep(a.readings, a.sleep)
    patch_publish()  # on the class, before mqtt.Client is wrapped
    patch_client(a.client_id)
    sys.argv = [a.program]
    runpy.run_path(a.program, run_name="__main__")


if __name__ == "__main__":
    main()
