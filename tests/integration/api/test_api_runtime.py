"""In-process checks of readiness, hot state reads, per-tenant cache invalidation and metrics."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis
from litestar import Litestar

from cloud.api.app import create_app
from cloud.api.cache import invalidate_tenant
from cloud.api.settings import ApiSettings, JwtSettings, RateLimitSettings
from cloud.state.keys import StateSettings, plan_update
from cloud.state.store import HotState
from schemas.ids import utc_now
from schemas.kafka import IngestRecord
from schemas.messages import HealthReport
from schemas.topics import TopicKind
from tests.integration.api import support as s
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _settings(dsn: str, redis_url: str) -> ApiSettings:
    run = uuid.uuid4().hex[:8]
    return ApiSettings(
        pg_dsn=dsn,
        redis_url=redis_url,
        jwt=JwtSettings(secret=s.SECRET),
        key_prefix=f"test:api:{run}",
        state_prefix=f"test:state:{run}",
        rate_limit=RateLimitSettings(enabled=False),
        access_log=False,
    )


@asynccontextmanager
async def _client(settings: ApiSettings, tenant: str = "acme") -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    inner: Litestar = app.app  # type: ignore[assignment]
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with (
        inner.lifespan(),
        httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=s.auth(s.token(tenant, "admin"))
        ) as client,
    ):
        yield client


async def test_ready_names_the_dependency_that_is_down(api_dsn: str, redis_url: str) -> None:
    good = _settings(api_dsn, redis_url)
    closed = f"redis://127.0.0.1:{free_port()}/0"
    async with _client(ApiSettings(**{**_as_dict(good), "redis_url": closed})) as client:
        resp = await client.get("/ready")
        assert resp.status_code == 503
        assert resp.json()["checks"]["postgres"] == "ok"
        assert resp.json()["checks"]["redis"].startswith("error")
        assert (await client.get("/health")).status_code == 200
    bad_pg = s.with_dbname(api_dsn, "no_such_database")
    async with _client(ApiSettings(**{**_as_dict(good), "pg_dsn": bad_pg})) as client:
        resp = await client.get("/ready")
        assert resp.status_code == 503
        assert resp.json()["checks"]["redis"] == "ok"
        assert resp.json()["checks"]["postgres"].startswith("error")
        assert (await client.get("/api/v1/devices")).status_code == 503


async def test_reads_go_on_when_redis_is_down(api_dsn: str, redis_url: str) -> None:
    """The rate limiter lets requests through and the cache computes directly (fail open)."""
    with psycopg.connect(api_dsn, autocommit=True) as conn:
        s.seed_tenant(conn, "down", ["bar"])
        s.seed_device(conn, "down", "bar", "tv-9")
    good = _settings(api_dsn, redis_url)
    closed = f"redis://127.0.0.1:{free_port()}/0"
    down = ApiSettings(
        **{**_as_dict(good), "redis_url": closed, "rate_limit": RateLimitSettings(enabled=True)}
    )
    async with _client(down, tenant="down") as client:
        for _ in range(2):  # the second one would be a cache hit if Redis were there
            resp = await client.get("/api/v1/devices")
            assert resp.status_code == 200, resp.text
            assert [d["id"] for d in resp.json()["items"]] == ["tv-9"]


def _as_dict(settings: ApiSettings) -> dict[str, Any]:
    return {f: getattr(settings, f) for f in settings.__struct_fields__}


def _health(tenant: str, location: str, device: str) -> IngestRecord:
    report = HealthReport.new(
        cpu_percent=12.5,
        memory_percent=30.0,
        disk_percent=40.0,
        uptime_s=100.0,
        fps=25.0,
        inference_ms_p50=4.0,
        inference_ms_p95=8.0,
        queue_depth=2,
    )
    return IngestRecord(
        tenant=tenant,
        location=location,
        device=device,
        kind=TopicKind.HEALTH,
        received_at=utc_now(),
        payload=report,
    )


async def test_hot_state_cache_invalidation_and_metrics(api_dsn: str, redis_url: str) -> None:
    settings = _settings(api_dsn, redis_url)
    with psycopg.connect(api_dsn, autocommit=True) as conn:
        s.seed_tenant(conn, "acme", ["bar", "pub"])
        s.seed_device(conn, "acme", "bar", "tv-1")
        s.seed_device(conn, "acme", "bar", "tv-2")
        s.seed_device(conn, "acme", "pub", "tv-3")
    redis = aioredis.Redis.from_url(redis_url)
    try:
        state = HotState(redis, StateSettings(prefix=settings.state_prefix))
        await state.apply(
            plan_update([_health("acme", "bar", "tv-1"), _health("acme", "bar", "tv-2")])
        )
        async with _client(settings) as client:
            detail = (await client.get("/api/v1/devices/tv-1")).json()
            assert detail["online"] is True and detail["latest_health"]["cpu_percent"] == 12.5
            assert (await client.get("/api/v1/devices/tv-3")).json()["online"] is False
            summary = (await client.get("/api/v1/locations/bar/summary")).json()
            assert summary["devices_online"] == 2 and summary["devices_total"] == 2
            metrics = (await client.get("/metrics")).text
            assert 'adwatch_devices_online{location="bar",tenant="acme"} 2.0' in metrics
            assert (
                'api_requests_total{method="GET",route="/api/v1/devices/{device_id}",status="200"}'
                in metrics
            )

            before = (await client.get("/api/v1/devices")).json()["items"]
            with psycopg.connect(api_dsn, autocommit=True) as conn:
                s.seed_device(conn, "acme", "pub", "tv-4")
            cached = (await client.get("/api/v1/devices")).json()["items"]
            assert cached == before  # served from the cache for up to 60 s
            await invalidate_tenant(redis, "acme", settings.key_prefix)
            fresh = (await client.get("/api/v1/devices")).json()["items"]
            assert [d["id"] for d in fresh] == ["tv-1", "tv-2", "tv-3", "tv-4"]
    finally:
        await redis.aclose()  # type: ignore[attr-defined]


async def test_cors_by_config_and_body_size_limit(api_dsn: str, redis_url: str) -> None:
    base = _settings(api_dsn, redis_url)
    settings = ApiSettings(
        **{**_as_dict(base), "cors_origins": ["https://ops.example"], "max_request_bytes": 1024}
    )
    async with _client(settings) as client:
        pre = await client.options(
            "/api/v1/devices",
            headers={"Origin": "https://ops.example", "Access-Control-Request-Method": "GET"},
        )
        assert pre.headers["access-control-allow-origin"] == "https://ops.example"
        other = await client.get("/api/v1/devices", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        big = await client.request("GET", "/api/v1/devices", content=b"x" * 4096)
        assert big.status_code == 413
        assert big.headers["x-request-id"]
