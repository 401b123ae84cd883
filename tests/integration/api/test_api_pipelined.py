"""The pipelined Lua-script client against the stack's real Redis: replies, order, failures."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as aioredis
import uvloop
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cloud.api.pipelined import PipelinedRedis
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ECHO = "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1, redis.call('GET', KEYS[1])}"
# Keeps Redis busy for ARGV[1] microseconds (DEBUG SLEEP is disabled on the stack's Redis).
SPIN = """local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > tonumber(ARGV[1])
return 1"""


@asynccontextmanager
async def clients(
    redis_url: str, **kw: float
) -> AsyncIterator[tuple[PipelinedRedis, aioredis.Redis[bytes]]]:
    """The client under test and a redis-py client to look and meddle with."""
    lua, admin = PipelinedRedis(redis_url, **kw), aioredis.Redis.from_url(redis_url)
    try:
        yield lua, admin
    finally:
        await lua.aclose()
        await admin.aclose()  # type: ignore[attr-defined]


async def test_replies_keep_their_types(redis_url: str) -> None:
    async with clients(redis_url) as (lua, admin):
        key = f"test:lua:{uuid.uuid4().hex}"
        await admin.set(key, b"\x00bin\xff", ex=60)
        script = lua.register_script(ECHO)
        got = await script(keys=[key], args=["a b", 41])
        assert got == [key.encode(), b"a b", 42, b"\x00bin\xff"]
        missing = await script(keys=["test:lua:missing"], args=["", 0])
        assert missing[:3] == [b"test:lua:missing", b"", 1] and missing[3:] in ([], [None])
        assert await lua.execute("PING") == b"PONG"
        assert await lua.get(key) == b"\x00bin\xff" and await lua.get("test:lua:missing") is None


async def test_concurrent_calls_each_get_their_own_reply(redis_url: str) -> None:
    async with clients(redis_url) as (lua, _):
        script = lua.register_script("return tonumber(ARGV[1]) * 2")
        results = await asyncio.gather(*(script(keys=[], args=[i]) for i in range(2000)))
        assert results == [2 * i for i in range(2000)]


async def test_script_flushed_from_redis_is_sent_again(redis_url: str) -> None:
    async with clients(redis_url) as (lua, admin):
        source = f"return '{uuid.uuid4().hex}'"  # never loaded before: NOSCRIPT on first use
        script = lua.register_script(source)
        first = await script()
        await admin.script_flush()
        assert await script() == first


async def test_error_replies_raise_and_the_connection_stays_usable(redis_url: str) -> None:
    async with clients(redis_url) as (lua, _):
        broken = lua.register_script("return redis.call('INCR', KEYS[1])")
        key = f"test:lua:{uuid.uuid4().hex}"
        await lua.execute("SET", key, "not a number", "EX", 60)
        with pytest.raises(ResponseError, match="not an integer"):
            await broken(keys=[key])
        assert await lua.execute("GET", key) == b"not a number"


async def test_a_killed_connection_fails_calls_in_flight_then_reconnects(redis_url: str) -> None:
    async with clients(redis_url) as (lua, admin):
        name = f"lua-test-{uuid.uuid4().hex[:8]}"
        await lua.execute("CLIENT", "SETNAME", name)
        victim = next(c for c in await admin.client_list() if c.get("name") == name)
        # BLPOP blocks this connection (not Redis): still in flight when it is killed.
        pending = asyncio.ensure_future(lua.execute("BLPOP", f"test:lua:{uuid.uuid4().hex}", 5))
        await asyncio.sleep(0.1)
        await admin.client_kill_filter(_id=victim["id"])
        with pytest.raises(RedisConnectionError):
            await pending
        assert await lua.execute("PING") == b"PONG"  # on a new connection


async def test_unreachable_redis_is_a_connection_error() -> None:
    client = PipelinedRedis(f"redis://127.0.0.1:{free_port()}/0", connect_timeout_s=1.0)
    with pytest.raises(RedisConnectionError, match="cannot connect"):
        await client.execute("PING")


async def test_no_reply_in_time_is_a_timeout_and_the_next_call_works(redis_url: str) -> None:
    async with clients(redis_url, timeout_s=0.2) as (lua, _):
        with pytest.raises(RedisTimeoutError):
            await lua.register_script(SPIN)(args=[500_000])
        await asyncio.sleep(0.4)  # let Redis finish spinning
        assert await lua.execute("PING") == b"PONG"


async def test_user_password_and_database_from_the_url(redis_url: str) -> None:
    user, password = f"lua{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    host_port = redis_url.split("//", 1)[1].split("/", 1)[0]
    async with clients(redis_url) as (_, admin):
        await admin.execute_command(  # type: ignore[no-untyped-call]
            "ACL", "SETUSER", user, "on", f">{password}", "~*", "+@all"
        )
        try:
            key = f"test:lua:{uuid.uuid4().hex}"
            async with clients(f"redis://{user}:{password}@{host_port}/3") as (lua, db3):
                await lua.execute("SET", key, "in db 3", "EX", 60)
                assert await db3.get(key) == b"in db 3"
            assert await admin.get(key) is None  # not in db 0
            wrong = PipelinedRedis(f"redis://{user}:wrong@{host_port}/0")
            with pytest.raises(ResponseError):
                await wrong.execute("PING")
        finally:
            await admin.execute_command("ACL", "DELUSER", user)  # type: ignore[no-untyped-call]


def test_on_uvloop_as_under_the_server(redis_url: str) -> None:
    async def run() -> list[int]:
        async with clients(redis_url) as (lua, _):
            script = lua.register_script("return tonumber(ARGV[1]) + 1")
            return list(await asyncio.gather(*(script(args=[i]) for i in range(100))))

    loop = uvloop.new_event_loop()
    try:
        assert loop.run_until_complete(run()) == list(range(1, 101))
    finally:
        loop.close()


def test_other_url_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="redis://"):
        PipelinedRedis("rediss://127.0.0.1:6380/0")
