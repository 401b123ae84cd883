"""Every Grafana panel and every API query gives the same rows on both storage paths.

Both databases get the same seeded traffic through the sink, then upkeep refreshes
the rollups. Each panel's SQL is read from the committed dashboard JSON, its macros
expanded as Grafana does, run on both paths, and checked for the columns the panel
reads and for identical results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cloud.db import queries
from cloud.db.grafana import expand, panels_of
from cloud.db.seed import SeedPlan, addresses, demo_records
from cloud.db.sink import MetricSample, write_metrics_sync, write_records_sync
from cloud.db.upkeep import UpkeepOptions, run_upkeep
from tests.integration.db.conftest import Target

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

DASHBOARDS = Path(__file__).resolve().parents[3] / "ops" / "grafana" / "dashboards"
END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
PLAN = SeedPlan(tenants=2, locations=2, devices=2, hours=4, end=END)
START = END - timedelta(hours=PLAN.hours)
RANGE = (START - timedelta(hours=1), END + timedelta(hours=1))
# Panels whose values depend on when rows were written (ingested_at): shape only.
WRITE_TIME = {"created_at"}  # columns set by now() when written
VOLATILE = {"Device → database latency p99 (s, health)"}
EXPECTED = {p.title: p.columns for _, panels in queries.DASHBOARDS.values() for p in panels}


@dataclass(frozen=True, slots=True)
class Result:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _metrics() -> list[MetricSample]:
    """Samples as cloud.stream exports them: cumulative counters and a lag gauge, 2 workers."""
    out = []
    for i in range(PLAN.hours * 12):
        t = START + timedelta(minutes=5 * i)
        for w, instance in enumerate(("w1", "w2")):
            n = i if instance == "w1" or i < 20 else i - 20  # w2 restarts: its counters reset
            for metric, label, key, value in (
                ("ingested_total", "table", "device_health", 3000.0 * n),
                ("records_total", "kind", "health", 3100.0 * n),
                ("dead_letters_total", "reason", "db_rejected", float(n // 4)),
                ("kafka_lag", "topic", "adwatch.health", float(50 - i % 7 + w)),
            ):
                out.append(
                    MetricSample(
                        time=t,
                        component="stream",
                        metric=metric,
                        value=value,
                        instance=instance,
                        labels={label: key},
                    )
                )
    return out  # fmt: skip


def _norm(value: Any) -> Any:
    if isinstance(value, float | Decimal):
        return round(float(value), 6)
    return value


def _run(target: Target, sqls: dict[str, tuple[str, dict[str, Any] | None]]) -> dict[str, Result]:
    """Seed, refresh and run every query on ONE connection (the harness serves one)."""
    out: dict[str, Result] = {}
    with target.connect() as conn:
        write_records_sync(conn, demo_records(PLAN, END))
        write_metrics_sync(conn, _metrics())
        conn.autocommit = True
        run_upkeep(conn, opts=UpkeepOptions(full_refresh=True))
        for name, (sql, params) in sqls.items():
            cur = conn.execute(sql, params)
            cols = tuple(d.name for d in cur.description or ())
            keep = [c not in WRITE_TIME for c in cols]
            rows = [tuple(_norm(v) if k else None for v, k in zip(row, keep, strict=True))
                    for row in cur.fetchall()]  # fmt: skip
            out[name] = Result(cols, rows)
    return out


def _panel_sqls() -> dict[str, tuple[str, dict[str, Any] | None]]:
    tenant_devices = [a[2] for a in addresses(PLAN) if a[0] == "tenant-0"]
    variables = {"tenant": "tenant-0", "location": ["venue-0-0", "venue-0-1"],
                 "device": tenant_devices}  # fmt: skip
    out: dict[str, tuple[str, dict[str, Any] | None]] = {}
    files = sorted(DASHBOARDS.glob("*.json"))
    assert len(files) == 4
    for path in files:
        for title, _fmt, sql in panels_of(json.loads(path.read_text())):
            out[f"panel:{title}"] = (expand(sql, *RANGE, "5m", variables), None)
    return out


def _api_sqls() -> dict[str, tuple[str, dict[str, Any] | None]]:
    start, end = RANGE
    base = {"tenant": "tenant-0", "location": None, "start": start, "end": end}
    return {
        "api:devices": (queries.DEVICES_PAGE, {**base, "status": None, "hardware": None,
                                               "after": "", "limit": 100}),
        "api:devices-page2": (queries.DEVICES_PAGE, {**base, "status": "online",
                              "hardware": "rpi5", "after": "tv-0-0-1", "limit": 2}),
        "api:device": (queries.DEVICE, {"tenant": "tenant-0", "device": "tv-0-0-1"}),
        "api:fleet": (queries.FLEET_SUMMARY, base),
        "api:latest-health": (queries.LATEST_HEALTH, {"tenant": "tenant-0",
                              "device": "tv-0-0-1", "since": start}),
        "api:health-series": (queries.HEALTH_SERIES, {**base, "device": "tv-0-1-0",
                              "bucket": "15 minutes"}),
        "api:ad-minutes": (queries.AD_MINUTES_HOURLY, base),
        "api:breaks": (queries.BREAKS, {**base, "limit": 50}),
    }  # fmt: skip


@pytest.fixture(scope="module")
def results(plain_target: Target, timescale_target: Target) -> dict[str, dict[str, Result]]:
    sqls = {**_panel_sqls(), **_api_sqls()}
    out = {}
    for target in (plain_target, timescale_target):
        target.upgrade()
        out[target.path.value] = _run(target, sqls)
    return out


def test_every_panel_returns_its_columns_on_both_paths(
    results: dict[str, dict[str, Result]],
) -> None:
    for path, by_name in results.items():
        for name, result in by_name.items():
            if not name.startswith("panel:"):
                continue
            title = name.removeprefix("panel:")
            assert result.columns == EXPECTED[title], (path, title)
            assert result.rows, f"{path}: panel {title!r} returned no rows"


def test_both_paths_give_the_same_answers(results: dict[str, dict[str, Result]]) -> None:
    plain, timescale = results["postgres"], results["timescale"]
    assert plain.keys() == timescale.keys()
    for name in plain:
        assert plain[name].columns == timescale[name].columns, name
        if name.removeprefix("panel:") in VOLATILE:
            assert len(plain[name].rows) == len(timescale[name].rows), name
            continue
        assert plain[name].rows == timescale[name].rows, name


def test_api_queries_return_rows(results: dict[str, dict[str, Result]]) -> None:
    plain = results["postgres"]
    assert [r[1] for r in plain["api:devices"].rows] == [
        "tv-0-0-0", "tv-0-0-1", "tv-0-1-0", "tv-0-1-1"]  # fmt: skip
    assert [r[1] for r in plain["api:devices-page2"].rows] == ["tv-0-1-1"]
    for name in ("api:device", "api:fleet", "api:latest-health", "api:health-series",
                 "api:ad-minutes", "api:breaks"):  # fmt: skip
        assert plain[name].rows, name
