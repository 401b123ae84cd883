"""What the app holds while it runs: the pool, Redis, and the services built on them.

:func:`lifespan` opens them at start-up and closes them at shutdown; the app's
dependencies hand the services to handlers by name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as aioredis
from litestar import Litestar

from cloud.api.analytics.services import AnalyticsService
from cloud.api.auth.tokens import TokenVerifier
from cloud.api.cache import ResponseCache
from cloud.api.db import Database, make_pool
from cloud.api.devices.services import DeviceService
from cloud.api.firmware.services import FirmwareService
from cloud.api.hot import HotReads
from cloud.api.locations.services import LocationService
from cloud.api.pipelined import PipelinedRedis
from cloud.api.ratelimit import RateLimiter
from cloud.api.settings import ApiSettings
from cloud.state.keys import StateSettings


def lifespan(settings: ApiSettings, state_settings: StateSettings):  # type: ignore[no-untyped-def]
    """A Litestar lifespan hook bound to ``settings``."""

    @asynccontextmanager
    async def run(app: Litestar) -> AsyncIterator[None]:
        pool = make_pool(
            settings.pg_dsn,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            statement_timeout_ms=settings.statement_timeout_ms,
        )
        # Open without waiting: the API starts (and /ready says why) while PostgreSQL is down.
        await pool.open(wait=False)
        redis = aioredis.Redis.from_url(
            settings.redis_url,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            health_check_interval=30,
        )
        # The per-request Redis work (rate limit, cache lookup) gets its own pipelined
        # connection where the URL allows it (plain redis://).
        fast = (
            PipelinedRedis(settings.redis_url)
            if settings.redis_url.startswith("redis://")
            else None
        )
        db, hot = Database(pool), HotReads(redis, state_settings)
        cache = ResponseCache(
            redis, reader=fast, enabled=settings.cache.enabled, prefix=settings.key_prefix
        )
        app.state.update(
            {
                "verifier": TokenVerifier(settings.jwt),
                "limiter": RateLimiter(fast or redis, settings.rate_limit, settings.key_prefix),
                "db": db,
                "redis": redis,
                "hot": hot,
                "devices": DeviceService(db, hot, cache, settings.cache.device_list_ttl_s),
                "locations": LocationService(db, hot),
                "analytics": AnalyticsService(db, cache, settings.cache.analytics_ttl_s),
                "firmware": FirmwareService(db, Path(settings.firmware_dir)),
            }
        )
        try:
            yield
        finally:
            if fast is not None:
                await fast.aclose()
            await redis.aclose()  # type: ignore[attr-defined]
            await pool.close()

    return run
