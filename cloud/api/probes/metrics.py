"""``/metrics``: this process' (or all workers') counters plus devices online from Redis.

With several server workers, ``PROMETHEUS_MULTIPROC_DIR`` is set by ``adwatch-cloud
api`` and the workers' samples are merged at scrape time. The online gauge is read
from Redis on each scrape into a throwaway registry, so it is the same from any
worker or replica.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)

from cloud.api.errors import Unavailable
from cloud.api.hot import HotReads


def _process_registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


async def _online_registry(hot: HotReads) -> CollectorRegistry:
    registry = CollectorRegistry()
    online = Gauge(
        "adwatch_devices_online",
        "Devices online (Redis hot state)",
        ["tenant", "location"],
        registry=registry,
    )
    up = Gauge("adwatch_hot_state_up", "1 if the Redis hot state could be read", registry=registry)
    try:
        counts = await hot.online_per_location()
    except Unavailable:
        up.set(0)
        return registry
    up.set(1)
    for (tenant, location), count in counts.items():
        online.labels(tenant, location).set(count)
    return registry


async def render_metrics(hot: HotReads) -> tuple[str, str]:
    body = generate_latest(_process_registry()) + generate_latest(await _online_registry(hot))
    return body.decode(), CONTENT_TYPE_LATEST
