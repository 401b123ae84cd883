"""One pipelined Redis connection for the Redis work on every request's path.

Every ``/api/`` request runs the rate-limit script and, when cacheable, reads the
response cache. Through redis-py's asyncio client each command cost ~115 µs of CPU
(connection pool, retry and timeout wrappers per command) against ~15 µs for the
round trip itself: a third of a cached request. This client keeps one connection
per process, writes each command straight to the socket and matches replies to
callers in order (Redis answers a connection's commands in the order sent), with
hiredis parsing. Concurrent requests therefore share the connection without
waiting for each other.

Failures are redis-py's exceptions (all ``RedisError``), so callers keep one
error path: ``ConnectionError`` when Redis is unreachable or the connection
drops (every call in flight fails, the next call reconnects), ``TimeoutError``
when no reply comes within ``timeout_s`` (the connection is dropped, since later
replies could no longer be matched), ``ResponseError`` for an error reply. A
script missing from Redis' script cache (restart, ``SCRIPT FLUSH``) is sent once
with ``EVAL``, which also caches it again.

Supports ``redis://[user:password@]host:port[/db]``; other URLs (TLS, unix
sockets) should use redis-py's ``register_script``, which has the same call shape.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import hiredis
from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | bytes | int | float
ScriptCall = Callable[..., Awaitable[Any]]


class ScriptHost(Protocol):
    """What runs a Lua script: this client, or redis-py's ``Redis``."""

    def register_script(self, script: str) -> ScriptCall: ...


class KeyReader(Protocol):
    """What reads a key: this client, or redis-py's ``Redis``."""

    def get(self, name: str) -> Awaitable[Any]: ...


def encode_command(*args: Arg) -> bytes:
    """A command in RESP (an array of bulk strings), packed by hiredis."""
    return bytes(hiredis.pack_command(args))  # type: ignore[arg-type]  # stub says 1-tuple


def _raise_errors(reply: Any) -> Any:
    if isinstance(reply, hiredis.ReplyError):
        raise ResponseError(str(reply))
    return reply


class _Protocol(asyncio.Protocol):
    """One connection: commands queued in a loop tick go out in one write; replies are
    matched to waiters in order; one timer (not one per command) enforces the timeout."""

    def __init__(self, timeout_s: float) -> None:
        self._reader = hiredis.Reader()
        self._timeout_s = timeout_s
        self.waiters: deque[tuple[asyncio.Future[Any], float]] = deque()  # (reply, sent at)
        self.transport: asyncio.Transport | None = None
        self._outbox: list[bytes] = []
        self._watchdog: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport implements asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def submit(self, command: bytes) -> asyncio.Future[Any]:
        if self.transport is None:
            raise RedisConnectionError("connection to Redis lost")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self.waiters.append((waiter, loop.time()))
        if not self._outbox:
            loop.call_soon(self._flush)  # after the other requests of this tick queue theirs
        self._outbox.append(command)
        if self._watchdog is None:
            self._watchdog = loop.call_at(loop.time() + self._timeout_s, self._check_timeout)
        return waiter

    def _flush(self) -> None:
        if self.transport is not None and self._outbox:
            self.transport.write(b"".join(self._outbox))
        self._outbox.clear()

    def _check_timeout(self) -> None:
        self._watchdog = None
        if not self.waiters:
            return
        loop = asyncio.get_running_loop()
        deadline = self.waiters[0][1] + self._timeout_s
        if loop.time() < deadline:
            self._watchdog = loop.call_at(deadline, self._check_timeout)
            return
        # Replies can no longer be matched to callers: fail them all, start a new connection.
        self._fail_all(RedisTimeoutError(f"no reply from Redis within {self._timeout_s} s"))
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while True:
            try:
                reply = self._reader.gets()
            except hiredis.ProtocolError:
                if self.transport is not None:
                    self.transport.close()  # not Redis speaking: fail everything in flight
                return
            if reply is False:
                return
            if self.waiters:
                waiter, _ = self.waiters.popleft()
                if not waiter.done():
                    waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._outbox.clear()
        self._fail_all(RedisConnectionError(f"connection to Redis lost: {exc or 'closed'}"))

    def _fail_all(self, error: Exception) -> None:
        while self.waiters:
            waiter, _ = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(error)
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None


class PipelinedRedis:
    """Runs Lua scripts and commands over one pipelined connection (see the module docstring)."""

    def __init__(self, url: str, *, timeout_s: float = 2.0, connect_timeout_s: float = 2.0) -> None:
        if urlsplit(url).scheme != "redis":
            raise ValueError(f"PipelinedRedis supports redis:// URLs only, not {url!r}")
        params = parse_url(url)
        self._host = str(params.get("host", "127.0.0.1"))
        self._port = int(params.get("port", 6379))
        self._username: str | None = params.get("username")
        self._password: str | None = params.get("password")
        self._db = int(params.get("db", 0))
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._protocol: _Protocol | None = None
        self._connecting = asyncio.Lock()

    def register_script(self, source: str) -> ScriptCall:
        """A callable ``await script(keys=[...], args=[...])``, like redis-py's."""
        sha = hashlib.sha1(source.encode()).hexdigest()

        async def call(keys: Sequence[Arg] = (), args: Sequence[Arg] = ()) -> Any:
            try:
                return await self._request(encode_command("EVALSHA", sha, len(keys), *keys, *args))
            except ResponseError as exc:
                if not str(exc).startswith("NOSCRIPT"):
                    raise
            return await self._request(encode_command("EVAL", source, len(keys), *keys, *args))

        return call

    async def execute(self, *args: Arg) -> Any:
        """Any other command, e.g. ``execute("PING")``."""
        return await self._request(encode_command(*args))

    async def get(self, name: str) -> Any:
        """``GET name``: the value as bytes, or None."""
        return await self._request(encode_command("GET", name))

    async def aclose(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()

    async def _request(self, command: bytes) -> Any:
        protocol = await self._connected()
        return _raise_errors(await protocol.submit(command))

    async def _connected(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.transport is not None:
            return protocol
        async with self._connecting:
            protocol = self._protocol
            if protocol is not None and protocol.transport is not None:
                return protocol
            self._protocol = await self._connect()
            return self._protocol

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(lambda: _Protocol(self._timeout_s), self._host, self._port),
                self._connect_timeout_s,
            )
        except (OSError, TimeoutError) as exc:
            raise RedisConnectionError(
                f"cannot connect to Redis at {self._host}:{self._port}: {exc}"
            ) from exc
        try:
            if self._password is not None:
                auth: tuple[Arg, ...] = (self._password,)
                if self._username:
                    auth = (self._username, self._password)
                _raise_errors(await protocol.submit(encode_command("AUTH", *auth)))
            if self._db:
                _raise_errors(await protocol.submit(encode_command("SELECT", self._db)))
        except RedisError:
            if protocol.transport is not None:
                protocol.transport.close()
            raise
        return protocol
