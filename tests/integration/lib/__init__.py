"""Helpers for Petrel's integration tests (Python standard library only).

broker   -- start Petrel or mosquitto with a generated config (class Broker)
packets  -- raw MQTT 3.1 / 3.1.1 / 5.0 packet builder and parser
client   -- a small blocking raw client with bounded waits (class Client)
tools    -- mosquitto_pub / mosquitto_sub, MQTT.js and paho helpers
testing  -- cases, skips, timing scale and the per-file main()
env      -- what the runner passed in (binary dir, broker kind, threads, ...)
"""
