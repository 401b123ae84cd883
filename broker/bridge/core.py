"""``Bridge``: venue broker <-> cloud broker with an on-disk store-and-forward queue.

    async with Bridge(settings) as bridge:   # runs until the block exits
        await bridge.wait()                  # or do other work; bridge.spool has the gauges

Uplink: a persistent-session client on the venue broker subscribes to the venue's
uplink filters with manual acknowledgement. Messages are written to the spool in
group commits (``broker.bridge.intake``: one fsync per batch) and only then
acknowledged, so the venue broker's PUBACK means "on disk". When the spool is full of
messages that may not be dropped, the intake waits for room: the venue broker then
holds further messages for the bridge's session (push-back, nothing dropped).

Cloud: a reconnect loop (exponential backoff, equal jitter) with a persistent
session. While connected, up to ``window`` spool messages are in flight; each is
acked in the spool only after the cloud's PUBACK. After a reconnect the backlog
drains oldest-first while ``live_share`` of the window carries messages that arrived
since, so live traffic is not stuck behind the backlog.

Downlink: the cloud client subscribes to the venue's config/cmd topics and the
tenant's OTA manifests (manual ack) and republishes each on the venue broker; the
cloud gets its PUBACK only after the venue broker acknowledged the republish.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import structlog

from broker.bridge import metrics
from broker.bridge.intake import Intake
from broker.bridge.policy import backoff_delay, retain_flag, split_window
from broker.bridge.settings import BridgeSettings
from broker.errors import MqttError, PublishError
from broker.mqtt_client import AsyncMqttClient, Received
from broker.spool import Spool, SpoolItem
from schemas.topics import device_filter, ota_filter, uplink_filters

log = structlog.get_logger("adwatch.bridge")

COMPACT_ABOVE_BYTES = 8 * 1024 * 1024
_Hook = Callable[[], None]
_Session = Callable[[_Hook], Awaitable[None]]


class Bridge:
    def __init__(self, settings: BridgeSettings) -> None:
        self.settings = settings
        self.spool: Spool | None = None
        self.meter = metrics.RateMeter()
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._local: AsyncMqttClient | None = None
        self._local_ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._intake: Intake | None = None

    # ------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        s = self.settings
        self._loop = asyncio.get_running_loop()
        self.spool = await asyncio.to_thread(Spool, s.spool_path, max_bytes=s.spool_max_bytes)
        self._intake = Intake(self.spool, self._written)
        self._intake.start()
        metrics.bind_spool(self.spool, self.meter)
        self._tasks = [
            asyncio.create_task(self._keep_connected("local", self._local_session)),
            asyncio.create_task(self._keep_connected("cloud", self._cloud_session)),
        ]
        log.info(
            "bridge_started",
            tenant=s.tenant,
            location=s.location,
            queued=self.spool.depth,
            spool=s.spool_path,
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._intake is not None:
            await asyncio.to_thread(self._intake.stop)
        if self.spool is not None:
            await asyncio.to_thread(self.spool.close)
        log.info("bridge_stopped")

    async def wait_ready(self) -> None:
        """Return once the bridge is subscribed to the venue's uplinks on the venue broker.

        Until then the venue broker would acknowledge and drop uplink messages that
        match no subscription, so a coordinator should not advertise the broker before.
        """
        await self._local_ready.wait()

    async def wait(self) -> None:
        """Run until cancelled (or until a session loop dies of a bug, which is raised)."""
        await asyncio.gather(*self._tasks)

    # ------------------------------------------------------------ reconnect loop

    async def _keep_connected(self, side: str, session: _Session) -> None:
        attempts = [0]

        def connected() -> None:
            attempts[0] = 0

        while True:
            try:
                await session(connected)
            except (MqttError, OSError) as exc:
                log.warning("bridge_link_down", side=side, error=str(exc))
            metrics.CONNECTED.labels(side).set(0)
            metrics.RECONNECTS.labels(side).inc()
            delay = backoff_delay(
                attempts[0], self.settings.backoff_initial_s, self.settings.backoff_max_s
            )
            attempts[0] += 1
            await asyncio.sleep(delay)

    # ------------------------------------------------------------ local side (uplink in)

    async def _local_session(self, connected: _Hook) -> None:
        s = self.settings
        client_settings = s.local.mqtt(
            f"{s.client_prefix}-local", clean_session=False, max_inflight=100
        )
        holder: list[AsyncMqttClient] = []
        client = AsyncMqttClient(
            client_settings, lambda m: self._on_uplink(holder[0], m), manual_ack=True
        )
        holder.append(client)
        async with client as local:
            connected()
            metrics.CONNECTED.labels("local").set(1)
            granted = await local.subscribe([(f, 1) for f in uplink_filters(s.tenant, s.location)])
            if 128 in granted:
                raise MqttError(f"venue broker refused uplink subscriptions: {granted}")
            self._local = local
            self._local_ready.set()
            log.info("bridge_local_connected", host=s.local.host, port=s.local.port)
            try:
                assert local.disconnected is not None
                reason = await local.disconnected
                log.warning("bridge_local_lost", reason=reason)
            finally:
                self._local_ready.clear()
                self._local = None

    def _on_uplink(self, local: AsyncMqttClient, message: Received) -> None:
        """paho thread: hand over to the intake (group commit, then PUBACK)."""
        assert self._intake is not None
        self._intake.submit(local, message)

    def _written(self, count: int) -> None:
        """Intake thread: ``count`` messages are on disk and acknowledged."""
        metrics.RECEIVED.inc(count)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wakeup.set)

    # ------------------------------------------------------------ cloud side (uplink out)

    async def _cloud_session(self, connected: _Hook) -> None:
        s = self.settings
        client_settings = s.cloud.mqtt(
            f"{s.client_prefix}-cloud", clean_session=False, max_inflight=s.window
        )
        holder: list[AsyncMqttClient] = []
        cloud = AsyncMqttClient(
            client_settings, lambda m: self._on_downlink(holder[0], m), manual_ack=True
        )
        holder.append(cloud)
        async with cloud:
            connected()
            metrics.CONNECTED.labels("cloud").set(1)
            filters = [device_filter(s.tenant, s.location, "+", kind) for kind in ("config", "cmd")]
            await cloud.subscribe([(f, 1) for f in [*filters, ota_filter(s.tenant)]])
            log.info(
                "bridge_cloud_connected",
                host=s.cloud.host,
                port=s.cloud.port,
                queued=self.spool.depth if self.spool else 0,
            )
            await self._drain(cloud)

    async def _drain(self, cloud: AsyncMqttClient) -> None:
        """Send spool messages (backlog oldest-first, with live ones) until the link drops."""
        assert self.spool is not None and cloud.disconnected is not None
        spool = self.spool
        backlog_end = await asyncio.to_thread(spool.newest_seq)
        cursor_backlog = 0
        cursor_live = backlog_end
        inflight: dict[asyncio.Future[None], int] = {}
        try:
            while not cloud.disconnected.done():
                # Clear before reading: a commit after the read sets it again, so a
                # message written meanwhile is never left waiting for the next one.
                self._wakeup.clear()
                room = self.settings.window - len(inflight)
                batch, cursor_backlog, cursor_live = await self._next_batch(
                    room, cursor_backlog, cursor_live, backlog_end
                )
                for item in batch:
                    future = cloud.publish_nowait(item.topic, item.payload, item.qos, item.retain)
                    inflight[future] = item.seq
                if batch:
                    continue  # fill the window before waiting
                await self._settle(cloud, inflight)
        finally:
            for future in inflight:  # not acked in the spool: sent again after reconnecting
                if future.done():
                    future.exception()  # retrieved: the PublishError of the lost link
                else:
                    future.cancel()

    async def _settle(
        self, cloud: AsyncMqttClient, inflight: dict[asyncio.Future[None], int]
    ) -> None:
        """Wait for a PUBACK, new spool data or the link's end; ack what the cloud took."""
        assert self.spool is not None and cloud.disconnected is not None
        wake = asyncio.ensure_future(self._wakeup.wait())
        waiters: set[asyncio.Future[Any]] = {*inflight, cloud.disconnected, wake}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        wake.cancel()
        acked = [inflight.pop(f) for f in list(inflight) if f.done() and not f.exception()]
        failed = [f for f in inflight if f.done()]
        if acked:
            await asyncio.to_thread(self.spool.ack, *acked)
            metrics.DRAINED.inc(len(acked))
            self.meter.add(len(acked))
            if self.spool.depth == 0 and self.spool.disk_bytes() > COMPACT_ABOVE_BYTES:
                await asyncio.to_thread(self.spool.compact)  # after an outage: give disk back
        if failed:
            raise MqttError(f"{len(failed)} publishes failed: {failed[0].exception()}")

    async def _next_batch(
        self, room: int, cursor_backlog: int, cursor_live: int, backlog_end: int
    ) -> tuple[list[SpoolItem], int, int]:
        assert self.spool is not None
        backlog_left = cursor_backlog < backlog_end
        n_backlog, n_live = split_window(room, self.settings.live_share, backlog_left)
        batch: list[SpoolItem] = []
        if n_backlog:
            items = [
                i
                for i in await asyncio.to_thread(self.spool.peek, n_backlog, cursor_backlog)
                if i.seq <= backlog_end
            ]
            batch.extend(items)
            cursor_backlog = items[-1].seq if items else backlog_end
        if n_live:
            items = await asyncio.to_thread(self.spool.peek, n_live, cursor_live)
            batch.extend(items)
            if items:
                cursor_live = items[-1].seq
        return batch, cursor_backlog, cursor_live

    # ------------------------------------------------------------ downlink

    def _on_downlink(self, cloud: AsyncMqttClient, message: Received) -> None:
        """paho thread: republish on the venue broker, ack the cloud after the local PUBACK."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._forward_down(cloud, message), self._loop)

    async def _forward_down(self, cloud: AsyncMqttClient, message: Received) -> None:
        retain = retain_flag(message.topic, message.retain)
        while True:
            await self._local_ready.wait()
            local = self._local
            if local is None:
                continue
            try:
                await local.publish(message.topic, message.payload, 1, retain)
                break
            except PublishError as exc:
                log.warning("bridge_downlink_retry", topic=message.topic, error=str(exc))
                await asyncio.sleep(0.5)
        with contextlib.suppress(Exception):
            cloud.ack(message)  # a lost cloud link redelivers it: harmless
        metrics.DOWNLINK.inc()
