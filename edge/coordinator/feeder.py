"""The registry feeder: the leader watches its own broker's uplinks and records,
through Raft, which devices were seen, when, and whether they say they are online.

Sightings are batched (``registry.flush_s``) so Raft sees one command per batch,
not one per message. The feeder never takes leadership down: if it cannot
reach the broker it retries in the background and says so in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime

import structlog

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.errors import CoordinatorError
from edge.coordinator.raft import VenueRaft
from edge.coordinator.registry import (
    Command,
    DeviceRecord,
    MarkSeen,
    Role,
    Sighting,
    UpsertDevice,
)
from schemas.codec import decode
from schemas.errors import SchemaError
from schemas.messages import DeviceStatus
from schemas.topics import DeviceTopic, parse_topic, uplink_filters

log = structlog.get_logger(__name__)
RETRY_S = 2.0


def sighting_from(topic: str, payload: bytes, received_at: datetime) -> Sighting | None:
    """What an uplink message says about its device; None for anything else.

    The time is the message's own timestamp when that is earlier than its
    arrival: a retained status is old news, and a device clock running ahead
    must not push ``last_seen`` into the future.
    """
    try:
        address = parse_topic(topic)
        message = decode(payload)
    except SchemaError:
        return None
    if not isinstance(address, DeviceTopic) or not address.kind.uplink:
        return None
    online = message.state == "online" if isinstance(message, DeviceStatus) else None
    return Sighting(device=address.device, at=min(message.ts, received_at), online=online)


def merge(pending: dict[str, Sighting], new: Sighting) -> None:
    """Keep the newest sighting per device (and the newest online flag)."""
    old = pending.get(new.device)
    if old is None or new.at >= old.at:
        online = new.online if new.online is not None else (old.online if old else None)
        pending[new.device] = Sighting(device=new.device, at=new.at, online=online)
    elif old.online is None and new.online is not None:
        pending[new.device] = Sighting(device=old.device, at=old.at, online=new.online)


def commands_for(
    pending: Mapping[str, Sighting], known: Mapping[str, DeviceRecord]
) -> list[Command]:
    """A device that publishes uplinks and has no role yet is a worker."""
    cmds: list[Command] = [
        UpsertDevice(device=dev, role=Role.WORKER)
        for dev in sorted(pending)
        if dev not in known or known[dev].role is Role.UNASSIGNED
    ]
    if pending:
        cmds.append(MarkSeen(sightings=tuple(pending[d] for d in sorted(pending))))
    return cmds


class RegistryFeeder:
    """A leader service: subscribe to the venue broker, batch sightings into Raft."""

    def __init__(self, cfg: CoordinatorConfig, raft: VenueRaft) -> None:
        self._cfg = cfg
        self._raft = raft
        self._pending: dict[str, Sighting] = {}

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        if not self._cfg.registry.feed:
            yield None
            return
        tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._flush_loop())]
        try:
            yield None
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._flush()

    async def _listen(self) -> None:
        from broker.errors import MqttError
        from broker.mqtt_client import AsyncMqttClient, MqttSettings, Received

        cfg, loop = self._cfg, asyncio.get_running_loop()

        def on_message(msg: Received) -> None:  # paho's thread
            at = datetime.fromtimestamp(msg.received_at, UTC)
            if (s := sighting_from(msg.topic, msg.payload, at)) is not None:
                loop.call_soon_threadsafe(merge, self._pending, s)

        host = "127.0.0.1" if cfg.broker.host in ("0.0.0.0", "::", "") else cfg.broker.host
        settings = MqttSettings(
            host=host,
            port=cfg.broker.port,
            client_id=f"adwatch-registry-{cfg.node.id}",
            username=cfg.registry.username,
            password=cfg.registry.password,
        )
        filters = [(f, 0) for f in uplink_filters(cfg.node.tenant, cfg.node.location)]
        while True:
            try:
                async with AsyncMqttClient(settings, on_message) as client:
                    await client.subscribe(filters)
                    log.info("registry_feeder_listening", port=cfg.broker.port)
                    assert client.disconnected is not None
                    await client.disconnected
            except MqttError as exc:
                log.warning("registry_feeder_down", error=str(exc))
            await asyncio.sleep(RETRY_S)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._cfg.registry.flush_s)
            await self._flush()

    async def _flush(self) -> None:
        batch, self._pending = self._pending, {}
        if not batch:
            return
        known = {d.device: d for d in self._raft.devices()}
        for cmd in commands_for(batch, known):
            try:
                await self._raft.submit(cmd)
            except CoordinatorError as exc:
                log.warning("registry_feed_failed", error=str(exc), devices=len(batch))
                return
