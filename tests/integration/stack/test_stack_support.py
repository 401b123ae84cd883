"""tests.support: free_port and the private Mosquitto used by outage tests."""

from __future__ import annotations

import queue
import socket
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.mosquitto import run_mosquitto
from tests.support.ports import free_port, port_open

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def _retained(port: int, topic: str) -> bytes:
    inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, msg: inbox.put(msg)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.subscribe(topic, qos=1)
        return bytes(inbox.get(timeout=10).payload)
    finally:
        client.disconnect()
        client.loop_stop()


def test_private_broker_restarts_on_same_port_with_persistence() -> None:
    topic = f"adwatch/test/private/{uuid.uuid4().hex}"
    with run_mosquitto("max_queued_messages 50") as broker:
        assert "max_queued_messages 50" in broker.config_path.read_text()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        client.connect(broker.host, broker.port)
        client.loop_start()
        client.publish(topic, b"persisted", qos=1, retain=True).wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        broker.stop()
        assert not port_open(broker.port)
        broker.start()
        assert _retained(broker.port, topic) == b"persisted"
        pid = broker.pid
        port = broker.port
    assert pid is not None
    assert not port_open(port)  # killed on exit
