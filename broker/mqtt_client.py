"""A small asyncio wrapper around paho-mqtt 2.x (MQTT 3.1.1).

- Lifecycle is ``async with AsyncMqttClient(settings) as client``: CONNECT is awaited
  (a refused or failed CONNECT raises ``MqttError``), DISCONNECT on exit.
- paho's network thread callbacks are bridged onto the event loop with futures:
  ``await client.publish(...)`` returns after PUBACK/PUBCOMP (QoS 1/2) and raises
  ``PublishError`` when paho refuses it or the connection drops first — a publish
  never fails silently. ``await client.subscribe(...)`` returns the granted QoS list.
- Received messages go to ``on_message`` *in paho's thread* (so a caller can make
  them durable before acknowledging). With ``manual_ack=True`` the caller must call
  ``client.ack(received)``; the broker gets its PUBACK only then.
- ``client.disconnected`` is a future that completes when the connection is lost.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import paho.mqtt.client as paho
import structlog
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from broker.errors import MqttError, PublishError

log = structlog.get_logger("adwatch.mqtt")


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class MqttSettings:
    host: str
    port: int
    client_id: str = ""
    username: str | None = None
    password: str | None = None
    keepalive: int = 30
    clean_session: bool = True
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    tls_insecure: bool = False
    connect_timeout: float = 10.0
    max_inflight: int = 100
    will: Will | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """One message as received, with its receive time (``time.time()``)."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    mid: int
    received_at: float = field(default_factory=time.time)


OnMessage = Callable[[Received], None]


class AsyncMqttClient:
    def __init__(
        self,
        settings: MqttSettings,
        on_message: OnMessage | None = None,
        *,
        manual_ack: bool = False,
    ) -> None:
        self.settings = settings
        self._on_message = on_message
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connack: asyncio.Future[int] | None = None
        self.disconnected: asyncio.Future[str] | None = None
        self._lock = threading.Lock()
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._early: set[int] = set()  # acks that beat the registration of their future
        self._subs: dict[int, asyncio.Future[list[int]]] = {}
        self._early_subs: dict[int, list[int]] = {}
        self._client = self._build(manual_ack)

    def _build(self, manual_ack: bool) -> paho.Client:
        s = self.settings
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            clean_session=s.clean_session,
            protocol=paho.MQTTv311,
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(
                ca_certs=s.ca_file,
                certfile=s.cert_file,
                keyfile=s.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
            )
            client.tls_insecure_set(s.tls_insecure)
        if s.will is not None:
            client.will_set(s.will.topic, s.will.payload, s.will.qos, s.will.retain)
        client.max_inflight_messages_set(s.max_inflight)
        client.manual_ack_set(manual_ack)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_publish = self._handle_publish
        client.on_subscribe = self._handle_subscribe
        client.on_message = self._handle_message
        return client

    # ------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        loop = self._loop = asyncio.get_running_loop()
        self._connack = loop.create_future()
        self.disconnected = loop.create_future()
        s = self.settings
        try:
            await loop.run_in_executor(None, self._client.connect, s.host, s.port, s.keepalive)
        except (OSError, ValueError, ssl.SSLError) as exc:
            raise MqttError(f"cannot connect to {s.host}:{s.port}: {exc}") from exc
        self._client.loop_start()
        try:
            code = await asyncio.wait_for(self._connack, s.connect_timeout)
        except TimeoutError as exc:
            self._stop()
            raise MqttError(f"no CONNACK from {s.host}:{s.port}") from exc
        if code != 0:
            self._stop()
            raise MqttError(f"CONNECT to {s.host}:{s.port} refused (code {code})")
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.disconnect()
        await asyncio.get_running_loop().run_in_executor(None, self._stop)

    def _stop(self) -> None:
        self._client.loop_stop()
        self._call(self._fail_pending, "client stopped")

    def ack(self, message: Received) -> None:
        """Acknowledge a received message (with ``manual_ack=True``)."""
        self._client.ack(message.mid, message.qos)

    @property
    def is_connected(self) -> bool:
        return bool(self._client.is_connected())

    # ------------------------------------------------------------ publish / subscribe

    def publish_nowait(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> asyncio.Future[None]:
        """Hand a message to paho; the future completes on PUBACK (QoS 0: once written)."""
        assert self._loop is not None, "use inside `async with`"
        future: asyncio.Future[None] = self._loop.create_future()
        # Never hold our lock while calling into paho: paho calls on_publish holding its own.
        info = self._client.publish(topic, payload, qos, retain)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            future.set_exception(
                PublishError(f"publish to {topic} refused: {paho.error_string(info.rc)}")
            )
            return future
        if info.rc == paho.MQTT_ERR_NO_CONN:
            # paho keeps it queued, but we do not count on that: say so now.
            future.set_exception(PublishError(f"publish to {topic}: not connected"))
            return future
        with self._lock:
            if info.mid in self._early:
                self._early.discard(info.mid)
                future.set_result(None)
            else:
                self._pending[info.mid] = future
        return future

    async def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        await self.publish_nowait(topic, payload, qos, retain)

    async def subscribe(self, filters: list[tuple[str, int]]) -> list[int]:
        """Subscribe and return the granted QoS per filter (128 = refused)."""
        assert self._loop is not None, "use inside `async with`"
        future: asyncio.Future[list[int]] = self._loop.create_future()
        rc, mid = self._client.subscribe(filters)
        if rc != paho.MQTT_ERR_SUCCESS or mid is None:
            raise MqttError(f"subscribe refused: {paho.error_string(rc)}")
        with self._lock:
            early = self._early_subs.pop(mid, None)
            if early is None:
                self._subs[mid] = future
            else:
                future.set_result(early)
        return await future

    # ------------------------------------------------------------ paho thread callbacks

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _handle_connect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        code = reason.value if isinstance(reason, ReasonCode) else int(reason)
        self._call(_settle, self._connack, code)

    def _handle_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._call(_settle, self.disconnected, str(reason))
        self._call(self._fail_pending, f"connection lost ({reason})")

    def _handle_publish(self, _c: Any, _u: Any, mid: int, _reason: Any, _p: Any) -> None:
        with self._lock:
            future = self._pending.pop(mid, None)
            if future is None:
                self._early.add(mid)
                return
        self._call(_settle, future, None)

    def _handle_subscribe(self, _c: Any, _u: Any, mid: int, codes: list[Any], _p: Any) -> None:
        granted = [c.value if isinstance(c, ReasonCode) else int(c) for c in codes]
        with self._lock:
            future = self._subs.pop(mid, None)
            if future is None:
                self._early_subs[mid] = granted
                return
        self._call(_settle, future, granted)

    def _handle_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        if self._on_message is None:
            return
        received = Received(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain), msg.mid)
        try:
            self._on_message(received)
        except Exception:  # one failing handler must not kill paho's thread
            log.exception("mqtt_on_message_failed", topic=msg.topic)

    def _fail_pending(self, why: str) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            subs, self._subs = self._subs, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(PublishError(why))
        for sub in subs.values():
            if not sub.done():
                sub.set_exception(MqttError(why))


def _settle(future: asyncio.Future[Any] | None, value: Any) -> None:
    if future is not None and not future.done():
        future.set_result(value)
