"""Response caching in Redis, invalidated per tenant.

Every cached value lives under ``<prefix>:{<tenant>}:c:<generation>:<digest>``
(prefix ``adwatch:api`` by default). The tenant's generation counter
``<prefix>:{<tenant>}:gen`` is part of the key, so
:func:`invalidate_tenant` (one ``INCR``) makes every older entry of that tenant
unreachable at once; the stale entries then expire by their TTL. A hit costs one
round trip: a Lua script reads the generation and the entry together.

Redis trouble never fails a request: the value is computed directly and the
miss is counted (``api_cache_errors_total``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec
import structlog
from prometheus_client import Counter
from redis.exceptions import RedisError

from cloud.api.db import RedisClient

T = TypeVar("T")
log = structlog.get_logger(__name__)

CACHE_LOOKUPS = Counter(
    "api_cache_lookups_total", "Response cache lookups", ["namespace", "result"]
)
CACHE_ERRORS = Counter("api_cache_errors_total", "Redis errors in the response cache")

_LOOKUP = """
local gen = redis.call('GET', KEYS[1]) or '0'
return {gen, redis.call('GET', ARGV[1] .. gen .. ':' .. ARGV[2])}
"""


DEFAULT_PREFIX = "adwatch:api"


def gen_key(tenant: str, prefix: str = DEFAULT_PREFIX) -> str:
    # The hash tag keeps a tenant's keys in one slot should Redis ever be clustered.
    return f"{prefix}:{{{tenant}}}:gen"


def digest(namespace: str, params: tuple[object, ...]) -> str:
    """A stable key for one query: the namespace and its canonical parameters."""
    raw = msgspec.json.encode([namespace, *[str(p) if p is not None else None for p in params]])
    return f"{namespace}:{hashlib.blake2b(raw, digest_size=16).hexdigest()}"


async def invalidate_tenant(redis: RedisClient, tenant: str, prefix: str = DEFAULT_PREFIX) -> int:
    """Drop every cached response of ``tenant``; returns the new generation.

    For writers that change what the API shows (the stream sink, firmware publishing).
    """
    return int(await redis.incr(gen_key(tenant, prefix)))


class ResponseCache:
    def __init__(
        self, redis: RedisClient, *, enabled: bool = True, prefix: str = DEFAULT_PREFIX
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._enabled = enabled
        self._lookup = redis.register_script(_LOOKUP)

    async def get_or_compute(
        self,
        tenant: str,
        key: str,
        ttl_s: int,
        type_: type[T],
        compute: Callable[[], Awaitable[T]],
    ) -> T:
        if not self._enabled or ttl_s <= 0:
            return await compute()
        namespace = key.split(":", 1)[0]
        prefix = f"{self._prefix}:{{{tenant}}}:c:"
        try:
            gen, raw = await self._lookup(keys=[gen_key(tenant, self._prefix)], args=[prefix, key])
        except RedisError as exc:
            CACHE_ERRORS.inc()
            log.warning("cache_unavailable", error=str(exc))
            return await compute()
        if raw is not None:
            CACHE_LOOKUPS.labels(namespace, "hit").inc()
            return msgspec.json.decode(raw, type=type_)
        CACHE_LOOKUPS.labels(namespace, "miss").inc()
        value = await compute()
        gen_text = gen.decode() if isinstance(gen, bytes) else str(gen)
        try:
            await self._redis.set(f"{prefix}{gen_text}:{key}", msgspec.json.encode(value), ex=ttl_s)
        except RedisError as exc:
            CACHE_ERRORS.inc()
            log.warning("cache_store_failed", error=str(exc))
        return value
