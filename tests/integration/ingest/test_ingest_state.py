"""The Redis hot state against a real Redis: online set, offline ordering, latest health."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from cloud.state.keys import StateSettings, plan_update
from cloud.state.store import HotState
from schemas.kafka import IngestRecord
from schemas.messages import DeviceStatus, Message
from schemas.topics import TopicKind
from tests.support.messages import health_report

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


@pytest_asyncio.fixture(loop_scope="function")
async def state(redis_url: str) -> AsyncIterator[HotState]:
    client: Any = aioredis.from_url(redis_url)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    try:
        yield HotState(client, StateSettings(prefix=prefix, online_ttl_s=60))
    finally:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def _rec(device: str, payload: Message, kind: TopicKind, at: datetime) -> IngestRecord:
    return IngestRecord(
        tenant="acme", location="s1", device=device, kind=kind, received_at=at, payload=payload
    )


def _health(device: str, at: datetime) -> IngestRecord:
    return _rec(
        device,
        health_report(cpu_percent=5),
        TopicKind.HEALTH,
        at,
    )


def _offline(device: str, at: datetime) -> IngestRecord:
    msg = DeviceStatus.new(ts=at - timedelta(hours=1), state="offline", since=at, firmware="1")
    return _rec(device, msg, TopicKind.STATUS, at)


async def test_online_set_follows_receive_order_across_batches(state: HotState) -> None:
    now = datetime.now(UTC)
    await state.apply(plan_update([_health("d1", now), _health("d2", now)]))
    # The Last Will of d1 is processed (status agent) before an older health batch.
    await state.apply(plan_update([_offline("d1", now + timedelta(seconds=2))]))
    await state.apply(plan_update([_health("d1", now + timedelta(seconds=1))]))
    assert {d.device for d in await state.online()} == {"d2"}
    assert {d.device for d in await state.online("acme")} == {"d2"}
    # d1 comes back: an uplink received after its offline status.
    await state.apply(plan_update([_health("d1", now + timedelta(seconds=3))]))
    assert {d.device for d in await state.online()} == {"d1", "d2"}


async def test_silent_devices_drop_out(state: HotState) -> None:
    old = datetime.now(UTC) - timedelta(seconds=120)
    await state.apply(plan_update([_health("d9", old)]))
    assert await state.online(now=time.time()) == []


async def test_latest_health_is_kept(state: HotState) -> None:
    now = datetime.now(UTC)
    batch = [_health("d1", now), _health("d1", now + timedelta(seconds=1))]
    await state.apply(plan_update(batch))
    latest = await state.latest_health("acme", "d1")
    assert latest is not None and latest.received_at == batch[1].received_at
    assert latest.report == batch[1].payload
    assert await state.latest_health("acme", "nobody") is None
