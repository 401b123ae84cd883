"""Mosquitto in the stack: QoS 1 and retained messages, with MQTT 3.1.1 and MQTT 5 clients."""

from __future__ import annotations

import queue
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


class Inbox:
    """A connected paho client whose received messages land in a queue."""

    def __init__(self, broker: tuple[str, int], protocol: MQTTProtocolVersion) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.connected: queue.Queue[int] = queue.Queue()
        self.subacks: queue.Queue[int] = queue.Queue()
        client_id = f"smoke-{uuid.uuid4().hex[:8]}"
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol
        )
        self.client.on_message = lambda _c, _u, msg: self.messages.put(msg)
        self.client.on_connect = lambda _c, _u, _f, rc, _p: self.connected.put(rc.value)
        self.client.on_subscribe = lambda _c, _u, mid, _rcs, _p: self.subacks.put(mid)
        self.client.connect(*broker, keepalive=30)
        self.client.loop_start()
        assert self.connected.get(timeout=10) == 0

    def subscribe(self, topic: str) -> None:
        result, mid = self.client.subscribe(topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        assert self.subacks.get(timeout=10) == mid  # the broker has the subscription now

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        props = None
        if self.client.protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.UserProperty = [("origin", "smoke")]
        info = self.client.publish(topic, payload, qos=1, retain=retain, properties=props)
        info.wait_for_publish(timeout=10)
        assert info.is_published()  # PUBACK received: QoS 1 accepted by the broker

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5], ids=["mqtt311", "mqtt5"])
def test_qos1_round_trip(mqtt_broker: tuple[str, int], protocol: MQTTProtocolVersion) -> None:
    topic = f"adwatch/test/smoke/{uuid.uuid4().hex}"
    sub, pub = Inbox(mqtt_broker, protocol), Inbox(mqtt_broker, protocol)
    try:
        sub.subscribe(topic)
        pub.publish(topic, b"hello")
        msg = sub.messages.get(timeout=10)
        assert (msg.topic, msg.payload, msg.qos) == (topic, b"hello", 1)
        if protocol == mqtt.MQTTv5:
            assert msg.properties is not None
            assert ("origin", "smoke") in getattr(msg.properties, "UserProperty", [])
    finally:
        sub.close()
        pub.close()


def test_retained_message_reaches_late_subscriber(mqtt_broker: tuple[str, int]) -> None:
    topic = f"adwatch/test/smoke/retained/{uuid.uuid4().hex}"
    pub = Inbox(mqtt_broker, mqtt.MQTTv5)
    try:
        pub.publish(topic, b"online", retain=True)
        late = Inbox(mqtt_broker, mqtt.MQTTv311)
        try:
            late.subscribe(topic)
            msg = late.messages.get(timeout=10)
            assert (msg.payload, msg.retain) == (b"online", True)
        finally:
            late.close()
    finally:
        pub.publish(topic, b"", retain=True)  # clear the retained message
        pub.close()
