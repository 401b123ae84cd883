"""Redis in the stack: set, get and expire through redis-py (sync and asyncio)."""

from __future__ import annotations

import uuid

import pytest
import redis
import redis.asyncio as aioredis

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


def test_set_get(redis_url: str) -> None:
    key = f"adwatch:test:smoke:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.set(key, b"value", ex=60)
        assert client.get(key) == b"value"
        assert 0 < client.ttl(key) <= 60
    finally:
        client.delete(key)
        client.close()


async def test_asyncio_hash(redis_url: str) -> None:
    key = f"adwatch:test:smoke:{uuid.uuid4().hex}"
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.hset(key, mapping={"state": "online", "fps": "25"})
        assert await client.hgetall(key) == {b"state": b"online", b"fps": b"25"}
    finally:
        await client.delete(key)
        await client.aclose()  # type: ignore[attr-defined]  # stale types-redis stubs
