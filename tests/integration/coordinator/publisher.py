"""Stand-ins for workers: publish QoS 1 through the venue broker the mDNS advert
names, and follow failovers, with the worker-outbox behaviour:

* a message stays in the outbox until the venue broker PUBACKs it; after a
  reconnect everything un-PUBACKed is sent again (same message id);
* after a *failover* (an advert with a higher term) the messages PUBACKed in the
  last ``replay_s`` seconds before the old leader went silent are sent again
  too: the dead leader may have acknowledged them and died before its bridge
  took them (amqtt keeps them in memory only). The message id makes every
  resend harmless downstream.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.discovery import BrokerBrowser, BrokerEndpoint
from schemas.codec import encode
from schemas.ids import utc_now
from schemas.messages import AdBreakStarted, TelemetryPeriod
from schemas.topics import TopicKind, device_topic


@dataclass
class Outbox:
    pending: dict[uuid.UUID, tuple[str, bytes]] = field(default_factory=dict)
    acked: dict[uuid.UUID, tuple[float, str, bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Publisher:
    def __init__(
        self,
        tenant: str,
        location: str,
        device: str,
        browser: BrokerBrowser,
        replay_s: float,
        password: str | None = None,
    ) -> None:
        self.password = password
        self.tenant, self.location, self.device = tenant, location, device
        self.browser = browser
        self.replay_s = replay_s
        self.outbox = Outbox()
        self.sent_ids: list[uuid.UUID] = []
        self.replayed: set[uuid.UUID] = set()
        self.endpoints: list[BrokerEndpoint] = []
        self.reconnected_at: float | None = None
        self._client: mqtt.Client | None = None
        self._inflight: dict[int, uuid.UUID] = {}
        self._on_wire: set[uuid.UUID] = set()
        self._early_acks: set[int] = set()
        self._connected = threading.Event()
        self._seq = 0

    # -- messages --------------------------------------------------------

    def _next_message(self) -> tuple[uuid.UUID, str, bytes]:
        self._seq += 1
        now = utc_now()
        if self._seq % 2:
            msg: AdBreakStarted | TelemetryPeriod = AdBreakStarted.new(
                break_id=uuid.uuid4(),
                source="hdmi-1",
                started_at=now,
                confidence=0.9,
                action="mute",
                model_version="m1",
            )
            kind = TopicKind.AD_EVENTS
        else:
            msg = TelemetryPeriod.new(
                period_start=now - timedelta(seconds=1),
                period_end=now,
                frames_captured=25,
                frames_analysed=25,
                frames_dropped=0,
                ad_seconds=0.0,
                content_seconds=1.0,
                breaks=0,
            )
            kind = TopicKind.TELEMETRY
        topic = device_topic(self.tenant, self.location, self.device, kind)
        return msg.message_id, topic, encode(msg)

    # -- paho callbacks (paho's thread) ------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        if not getattr(rc, "is_failure", False):
            self._connected.set()

    def _on_disconnect(self, *_args: object) -> None:
        self._connected.clear()

    def _on_publish(self, _c: object, _u: object, mid: int, _rc: object, _p: object) -> None:
        with self.outbox.lock:
            mid_id = self._inflight.pop(mid, None)
            if mid_id is None:  # PUBACK raced ahead of _flush recording the mid
                self._early_acks.add(mid)
            else:
                self._ack(mid_id)

    def _ack(self, mid_id: uuid.UUID) -> None:  # with the outbox lock held
        if mid_id in self.outbox.pending:
            topic, payload = self.outbox.pending.pop(mid_id)
            self.outbox.acked[mid_id] = (time.monotonic(), topic, payload)

    # -- connection management -------------------------------------------

    def _connect(self, ep: BrokerEndpoint) -> None:
        old, self._client = self._client, None
        if old is not None:
            # loop_stop() joins paho's thread, which may sit in a reconnect back-off
            # to the dead broker for seconds: never on the event loop.
            threading.Thread(target=_shutdown, args=(old,), daemon=True).start()
        self._connected.clear()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"{self.device}",
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        if self.password is not None:
            client.username_pw_set(self.device, self.password)
        client.reconnect_delay_set(1, 2)
        client.connect_async(ep.host, ep.port, keepalive=10)
        client.loop_start()
        with self.outbox.lock:
            self._inflight.clear()
            self._early_acks.clear()
            self._on_wire.clear()
        self._client = client

    def _failover_replay(self) -> None:
        with self.outbox.lock:
            # The window ends at the last PUBACK from the dead leader, not now: the
            # failover itself took seconds in which nothing was acknowledged.
            last = max((at for at, _t, _p in self.outbox.acked.values()), default=0.0)
            cutoff = last - self.replay_s
            for mid_id, (at, topic, payload) in list(self.outbox.acked.items()):
                if at >= cutoff and mid_id not in self.outbox.pending:
                    self.outbox.pending[mid_id] = (topic, payload)
                    self.replayed.add(mid_id)

    def _flush(self) -> None:
        client = self._client
        if client is None or not self._connected.is_set():
            return
        with self.outbox.lock:
            todo = [(k, v) for k, v in self.outbox.pending.items() if k not in self._on_wire]
        for mid_id, (topic, payload) in todo:
            info = client.publish(topic, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return  # disconnected meanwhile; stays pending
            with self.outbox.lock:
                self._on_wire.add(mid_id)
                if info.mid in self._early_acks:
                    self._early_acks.discard(info.mid)
                    self._ack(mid_id)
                else:
                    self._inflight[info.mid] = mid_id

    # -- asyncio side ----------------------------------------------------

    async def follow(self) -> None:
        """Connect to the advertised broker, and to each newer one."""
        async for ep in self.browser.changes():
            failover = bool(self.endpoints)
            self.endpoints.append(ep)
            if failover:
                self._failover_replay()
            self._connect(ep)
            if failover:
                await asyncio.to_thread(self._connected.wait, 15.0)
                self.reconnected_at = time.monotonic()

    async def publish(self, rate_hz: float, stop: asyncio.Event) -> None:
        period, next_at = 1.0 / rate_hz, time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_at:
                mid_id, topic, payload = self._next_message()
                with self.outbox.lock:
                    self.outbox.pending[mid_id] = (topic, payload)
                self.sent_ids.append(mid_id)
                next_at += period
            self._flush()
            await asyncio.sleep(0.01)

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Keep flushing until nothing is un-PUBACKed; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._flush()
            with self.outbox.lock:
                if not self.outbox.pending:
                    return True
            await asyncio.sleep(0.05)
        return False

    def close(self) -> None:
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()
            self._client = None


def _shutdown(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()
