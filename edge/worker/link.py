"""The MQTT link to the venue broker (paho-mqtt), fed only from the durable outbox.

* A fresh paho client per connection: the outbox (:mod:`broker.spool`) is the single
  source of truth for uplink messages, so nothing depends on paho's in-memory queue.
  A message leaves the outbox only when the broker's PUBACK arrives; after a reconnect
  everything not yet acknowledged is sent again (at-least-once; the message id makes a
  duplicate harmless).
* Persistent session (``clean_session=False``) so the broker keeps our subscriptions and
  queues QoS 1 downlink (config, commands) while we are away.
* Last Will: the retained offline ``DeviceStatus``. On connect the retained online status
  is published first; on a clean stop the offline status is published explicitly.
* paho's callbacks run on its network thread and are bridged onto the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog

from broker.spool import Spool
from edge.worker.capture import backoff_delay
from edge.worker.config import BrokerSection
from edge.worker.errors import LinkError

log = structlog.get_logger(__name__)
Endpoint = tuple[str, int]


@dataclass(frozen=True, slots=True)
class LinkIdentity:
    client_id: str
    status_topic: str
    subscriptions: tuple[str, ...]


class PubackLedger:
    """mid -> outbox seq, tolerant of a PUBACK that beats the bookkeeping (paho thread)."""

    def __init__(self, spool: Spool) -> None:
        self._spool = spool
        self._lock = threading.Lock()
        self._pending: dict[int, int] = {}
        self._early: set[int] = set()

    def sent(self, mid: int, seq: int) -> None:
        with self._lock:
            if mid in self._early:
                self._early.discard(mid)
            else:
                self._pending[mid] = seq
                return
        self._spool.ack(seq)

    def acked(self, mid: int) -> bool:
        with self._lock:
            seq = self._pending.pop(mid, None)
            if seq is None:
                self._early.add(mid)
                return False
        self._spool.ack(seq)
        return True

    def inflight(self) -> int:
        with self._lock:
            return len(self._pending)


class MqttLink:
    def __init__(
        self,
        cfg: BrokerSection,
        ident: LinkIdentity,
        spool: Spool,
        on_message: Callable[[str, bytes], None],
        status_payloads: Callable[[str], bytes],
    ) -> None:
        self._cfg = cfg
        self._ident = ident
        self._spool = spool
        self._on_message = on_message
        self._status = status_payloads  # "online"/"offline" -> encoded DeviceStatus
        self.connected = asyncio.Event()
        self._kick = asyncio.Event()
        self._lost = asyncio.Event()
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connects = 0
        self.endpoint: Endpoint | None = None
        self._client_closing = False

    def wake(self) -> None:
        """New messages are in the outbox (call from the event loop)."""
        self._kick.set()

    # ------------------------------------------------------------ connection loop

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, pump the outbox, reconnect with backoff until ``stop`` is set."""
        self._loop = asyncio.get_running_loop()
        async with self._endpoints() as next_endpoint:
            attempt = 0
            while not stop.is_set():
                endpoint = await next_endpoint()
                if endpoint is not None and await self._session(endpoint, stop):
                    attempt = 0
                    continue
                delay = backoff_delay(
                    attempt, self._cfg.reconnect_initial_s, self._cfg.reconnect_max_s
                )
                attempt += 1
                log.warning("mqtt_retry", endpoint=endpoint, retry_s=delay)
                await self._wait_any(stop, wait_s=delay)

    @asynccontextmanager
    async def _endpoints(self) -> AsyncIterator[Callable[[], Any]]:
        if not self._cfg.discover:

            async def fixed() -> Endpoint:
                return (self._cfg.host, self._cfg.port)

            yield fixed
            return
        from edge.discovery import BrokerBrowser, DiscoveryError

        tenant, location = self._ident.status_topic.split("/")[2:4]
        async with BrokerBrowser(tenant, location, interfaces=self._cfg.interfaces or None) as b:
            watcher = asyncio.create_task(self._follow(b))

            async def discovered() -> Endpoint | None:
                try:
                    ep = await b.current(self._cfg.discover_timeout_s)
                except DiscoveryError as exc:
                    log.warning("broker_not_discovered", error=str(exc))
                    return None
                return (ep.host, ep.port)

            try:
                yield discovered
            finally:
                watcher.cancel()

    async def _follow(self, browser: Any) -> None:
        """After a failover the newest leader differs: drop the session to move over."""
        async for ep in browser.changes():
            if self.endpoint is not None and (ep.host, ep.port) != self.endpoint:
                log.info("broker_failover", host=ep.host, port=ep.port, term=ep.term)
                self._lost.set()

    async def _session(self, endpoint: Endpoint, stop: asyncio.Event) -> bool:
        """One connection's life; True if it was established."""
        client = self._make_client()
        acks = PubackLedger(self._spool)

        def on_publish(_c: object, _u: object, mid: int, _rc: object, _p: object) -> None:
            acks.acked(mid)  # on paho's thread: the spool is thread-safe, the fsync stays here
            self._threadsafe(self._kick.set)

        client.on_publish = on_publish
        self._lost.clear()
        connected = asyncio.Event()
        client.on_connect = lambda _c, _u, _f, rc, _p: self._threadsafe(
            lambda: self._on_connect(client, rc, connected)
        )
        client.on_disconnect = lambda *_a: self._threadsafe(self._lost.set)
        # One attempt per client: our loop owns the backoff (and rediscovery), not paho's.
        client.on_connect_fail = lambda *_a: self._threadsafe(self._lost.set)
        try:
            client.connect_async(endpoint[0], endpoint[1], keepalive=self._cfg.keepalive_s)
            client.loop_start()
        except (OSError, ValueError) as exc:
            log.warning("mqtt_connect_failed", endpoint=endpoint, error=str(exc))
            return False
        try:
            if not await self._wait_connected(connected, stop):
                return False
            self.endpoint = endpoint
            await self._pump(client, acks, stop)
            return True
        finally:
            self.connected.clear()
            self.endpoint = None
            if not self._client_closing:
                client.disconnect()
            client.loop_stop()
            self._client = None

    async def _wait_connected(self, connected: asyncio.Event, stop: asyncio.Event) -> bool:
        waits = [asyncio.ensure_future(e.wait()) for e in (connected, self._lost, stop)]
        try:
            await asyncio.wait(
                waits, timeout=self._cfg.keepalive_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in waits:
                w.cancel()
        return connected.is_set() and not self._lost.is_set()

    def _make_client(self) -> Any:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._ident.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        client.max_inflight_messages_set(max(1, self._cfg.max_inflight))
        if self._cfg.username:
            client.username_pw_set(self._cfg.username, self._cfg.password)
        client.will_set(self._ident.status_topic, self._status("offline"), qos=1, retain=True)
        client.on_message = lambda _c, _u, msg: self._threadsafe(
            lambda: self._on_message(msg.topic, bytes(msg.payload))
        )
        self._client = client
        self._client_closing = False
        return client

    def _threadsafe(self, fn: Callable[[], object]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn)

    def _on_connect(self, client: Any, rc: Any, connected: asyncio.Event) -> None:
        if rc.is_failure:
            log.error("mqtt_refused", reason=str(rc))
            self._lost.set()
            return
        for topic in self._ident.subscriptions:
            client.subscribe(topic, qos=1)
        client.publish(self._ident.status_topic, self._status("online"), qos=1, retain=True)
        self.connects += 1
        connected.set()
        self.connected.set()
        self._kick.set()
        log.info("mqtt_connected", client_id=self._ident.client_id)

    async def _pump(self, client: Any, acks: PubackLedger, stop: asyncio.Event) -> None:
        last_seq = 0
        while not stop.is_set() and not self._lost.is_set():
            room = self._cfg.max_inflight - acks.inflight()
            items = self._spool.peek(room, after=last_seq) if room > 0 else []
            for item in items:
                info = client.publish(item.topic, item.payload, qos=item.qos, retain=item.retain)
                if info.rc != 0:
                    log.warning("mqtt_publish_rejected", topic=item.topic, rc=info.rc)
                    self._lost.set()
                    break
                acks.sent(info.mid, item.seq)
                last_seq = item.seq
            self._kick.clear()
            await self._wait_any(self._kick, self._lost, stop, wait_s=1.0)

    @staticmethod
    async def _wait_any(*events: asyncio.Event, wait_s: float) -> None:
        waits = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waits, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    # ------------------------------------------------------------------ shutdown

    async def drain(self, timeout_s: float) -> bool:
        """Wait until the outbox is empty (every message PUBACKed) or the timeout."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._spool.depth > 0:
            if asyncio.get_running_loop().time() >= deadline:
                return False
            self._kick.set()
            await asyncio.sleep(0.05)
        return True

    async def say_offline(self, timeout_s: float) -> bool:
        """Publish the retained offline status and wait for its PUBACK, then disconnect."""
        client = self._client
        if client is None or not self.connected.is_set():
            return False
        self._client_closing = True
        info = client.publish(self._ident.status_topic, self._status("offline"), qos=1, retain=True)
        ok = await asyncio.to_thread(info.wait_for_publish, timeout_s)
        ok = bool(ok) if ok is not None else info.is_published()
        client.disconnect()
        return ok


__all__ = ["LinkError", "LinkIdentity", "MqttLink"]
