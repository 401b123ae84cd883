"""paho-mqtt (thread) -> asyncio bridge for the connector's MQTT 5 shared subscription.

The broker may hold at most ``receive_maximum`` un-acknowledged QoS 1 messages for us, and
the hand-over to the event loop holds a slot of a bounded semaphore per message until it is
finished, so nothing here grows without bound: when Kafka stalls we stop acknowledging,
the broker stops sending and keeps the backlog in our persistent session.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from broker.connector.config import MqttSettings
from broker.connector.errors import MqttConnectError
from schemas.topics import shared, uplink_filters

log = structlog.get_logger("adwatch.connector.mqtt")


@dataclass(frozen=True, slots=True)
class Uplink:
    """One received MQTT message, with what is needed to acknowledge it later."""

    topic: str
    payload: bytes
    received_at: datetime
    mid: int
    qos: int
    generation: int
    """Which connection delivered it: a PUBACK is only valid on that connection."""


class MqttIntake:
    """Owns the paho client; received messages appear on ``queue`` in arrival order."""

    def __init__(self, settings: MqttSettings, loop: asyncio.AbstractEventLoop) -> None:
        self._settings = settings
        self._loop = loop
        self.queue: asyncio.Queue[Uplink] = asyncio.Queue()
        # Bounds messages handed over but not finished, QoS 0 included (not bounded by
        # the broker's receive maximum). Taken in paho's thread, released by ``done``.
        self._slots = threading.Semaphore(settings.receive_maximum * 2)
        self._generation = 0
        # Hand-over from paho's thread: a deque plus at most one pending wake-up of the
        # loop, so a burst costs one self-pipe write instead of one per message.
        self._inbox: collections.deque[Uplink] = collections.deque()
        self._wake_pending = False
        self._connected = asyncio.Event()
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        s = self._settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        return client

    def start(self) -> None:
        s = self._settings
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = s.session_expiry_s
        props.ReceiveMaximum = s.receive_maximum
        try:
            self._client.connect_async(
                s.host, s.port, keepalive=s.keepalive_s, clean_start=False, properties=props
            )
        except (OSError, ValueError) as exc:
            raise MqttConnectError(f"cannot connect to {s.host}:{s.port}: {exc}") from exc
        self._client.loop_start()

    async def wait_connected(self, within_s: float) -> None:
        try:
            await asyncio.wait_for(self._connected.wait(), within_s)
        except TimeoutError:
            s = self._settings
            raise MqttConnectError(f"no CONNACK from {s.host}:{s.port} in {within_s}s") from None

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def done(self, uplink: Uplink) -> None:
        """The message is safely in Kafka: acknowledge it (if its connection still stands)."""
        if uplink.qos > 0 and uplink.generation == self._generation:
            self._client.ack(uplink.mid, uplink.qos)
        # Else the broker redelivers it on the new connection; that copy gets the ack.
        self._slots.release()

    @property
    def generation(self) -> int:
        return self._generation

    # ---------------------------------------------------------------- paho thread

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("mqtt.connect_refused", reason=str(reason))
            return
        self._generation += 1
        options = SubscribeOptions(qos=1)
        group = self._settings.share_group
        client.subscribe([(shared(group, f), options) for f in uplink_filters()])
        log.info("mqtt.connected", client_id=self._settings.client_id, generation=self._generation)
        self._loop.call_soon_threadsafe(self._connected.set)

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        log.warning("mqtt.disconnected", reason=str(reason))
        self._loop.call_soon_threadsafe(self._connected.clear)

    def _on_message(self, _client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        received_at = datetime.now(UTC)
        try:
            topic = msg.topic
        except UnicodeDecodeError:  # brokers should refuse these; never crash on one
            topic = "<topic is not UTF-8>"
        uplink = Uplink(
            topic=topic,
            payload=bytes(msg.payload),
            received_at=received_at,
            mid=msg.mid,
            qos=msg.qos,
            generation=self._generation,
        )
        self._slots.acquire()  # blocks paho's thread (and so the socket) when full
        self._inbox.append(uplink)
        if not self._wake_pending:
            self._wake_pending = True
            self._loop.call_soon_threadsafe(self._drain_inbox)

    def _drain_inbox(self) -> None:
        """In the event loop: move everything handed over to ``queue`` (arrival order)."""
        self._wake_pending = False  # first: a message appended from now on wakes us again
        inbox, put = self._inbox, self.queue.put_nowait
        while inbox:
            put(inbox.popleft())
