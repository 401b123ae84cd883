"""Pipeline metrics for Grafana: consumer lag, ingest and dead-letter totals.

Prometheus gauges/counters are always kept; every ``metrics_interval_s`` the worker also
appends samples to ``pipeline_metrics`` (component ``stream``) so Grafana can chart them
from PostgreSQL alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import faust
import psycopg
import structlog
from prometheus_client import REGISTRY

from cloud.db.errors import DbError
from cloud.db.sink import MetricSample, write_metrics
from cloud.stream import metrics
from cloud.stream.config import StreamSettings

log = structlog.get_logger("adwatch.stream.metrics")


def consumer_lag(end: Mapping[Any, int], committed: Mapping[Any, int | None]) -> dict[str, int]:
    """Per topic: sum over its partitions of end offset minus committed offset (>= 0)."""
    lag: dict[str, int] = {}
    for tp, end_offset in end.items():
        done = committed.get(tp) or 0
        lag[tp.topic] = lag.get(tp.topic, 0) + max(0, end_offset - done)
    return lag


def _total(name: str, label: str) -> dict[str, float]:
    """Current values of a labelled counter, by label value."""
    out: dict[str, float] = {}
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name == name and label in sample.labels:
                out[sample.labels[label]] = sample.value
    return out


def samples(settings: StreamSettings, lag: Mapping[str, int], now: datetime) -> list[MetricSample]:
    def sample(metric: str, value: float, labels: dict[str, str]) -> MetricSample:
        return MetricSample(
            time=now,
            component="stream",
            instance=settings.instance,
            metric=metric,
            value=value,
            labels=labels,
        )

    out = [sample("kafka_lag", float(n), {"topic": t}) for t, n in sorted(lag.items())]
    totals: Iterable[tuple[str, str, str]] = (
        ("ingested_total", "adwatch_stream_inserted_total", "table"),
        ("records_total", "adwatch_stream_records_total", "kind"),
        ("dead_letters_total", "adwatch_stream_dead_letters_total", "reason"),
    )
    for metric, name, label in totals:
        out.extend(sample(metric, v, {label: k}) for k, v in sorted(_total(name, label).items()))
    return out


def start_pipeline_metrics(app: faust.App, settings: StreamSettings) -> None:
    conn: list[psycopg.AsyncConnection[Any]] = []

    @app.timer(interval=settings.metrics_interval_s)  # type: ignore[untyped-decorator]
    async def export_pipeline_metrics() -> None:
        monitor = app.monitor
        lag = consumer_lag(monitor.tp_end_offsets, monitor.tp_committed_offsets)
        for topic, n in lag.items():
            metrics.LAG.labels(topic).set(n)
        log.info(
            "stream.progress",
            lag=sum(lag.values()),
            inserted=sum(_total("adwatch_stream_inserted_total", "table").values()),
            duplicates=sum(_total("adwatch_stream_duplicates_total", "table").values()),
        )
        try:
            if not conn or conn[0].closed:
                conn[:] = [
                    await psycopg.AsyncConnection.connect(settings.pg_dsn, connect_timeout=5)
                ]
            await write_metrics(conn[0], samples(settings, lag, datetime.now(UTC)))
        except (DbError, psycopg.Error) as exc:  # metrics must never stop ingest
            log.warning("stream.metrics_failed", error=str(exc))
            if conn:
                await conn.pop().close()
