"""Liveness, readiness and Prometheus metrics (no auth: for orchestrators and scrapers)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import msgspec
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec

from cloud.api.deps import Db, Hot, Redis
from cloud.api.probes.metrics import render_metrics

PROBE_TIMEOUT_S = 2.0


class Liveness(msgspec.Struct, frozen=True):
    status: str


class Readiness(msgspec.Struct, frozen=True):
    status: str
    checks: dict[str, str]


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, PROBE_TIMEOUT_S)
    except Exception as exc:  # any failure is the answer: the reason goes in the body
        return f"error: {type(exc).__name__}: {exc}"[:300]
    return "ok"


async def readiness(db: Db, redis: Redis) -> Readiness:
    pg, rd = await asyncio.gather(_check(db.ping()), _check(redis.ping()))
    checks = {"postgres": pg, "redis": rd}
    return Readiness(status="ready" if pg == rd == "ok" else "unavailable", checks=checks)


class ProbeController(Controller):
    tags = ["probes"]
    security = []

    @get("/health", operation_id="liveness", summary="The process is alive")
    async def health(self) -> Liveness:
        return Liveness(status="ok")

    @get(
        "/ready",
        operation_id="readiness",
        summary="PostgreSQL and Redis answer",
        responses={503: ResponseSpec(data_container=Readiness, description="A dependency is down")},
    )
    async def ready(self, db: Db, redis: Redis) -> Response[Readiness]:
        result = await readiness(db, redis)
        return Response(result, status_code=200 if result.status == "ready" else 503)

    @get("/metrics", operation_id="metrics", summary="Prometheus metrics", media_type="text/plain")
    async def metrics(self, hot: Hot) -> Response[str]:
        body, content_type = await render_metrics(hot)
        return Response(body, media_type=content_type)
