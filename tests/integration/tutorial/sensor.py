import paho.mqtt.client as mqtt
import time
import random

mqttc = mqtt.Client("python_pub")
mqttc.connect("localhost", 61613)

while True:
    temperature = random.uniform(18.0, 26.0)
    mqttc.publish("temperature", temperature, qos=2)
    time.sleep(2)
