"""Dashboards are generated from cloud.db.queries; macros expand like Grafana's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from cloud.db.cli import main
from cloud.db.grafana import DATASOURCE, build_dashboard, expand, panels_of
from cloud.db.queries import DASHBOARDS

GRAFANA = Path(__file__).resolve().parents[3] / "ops" / "grafana"
START = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
END = datetime(2026, 1, 1, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_committed_dashboard_is_current(uid: str) -> None:
    committed = json.loads((GRAFANA / "dashboards" / f"{uid}.json").read_text())
    assert committed == build_dashboard(uid), (
        "run: adwatch-cloud db grafana --out ops/grafana/dashboards"
    )


def test_cli_writes_the_dashboards(tmp_path: Path) -> None:
    assert main(["grafana", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{u}.json" for u in DASHBOARDS)


def test_provisioning_points_at_the_dashboards_datasource() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning/datasources/adwatch.yaml").read_text())
    (source,) = ds["datasources"]
    assert source["uid"] == DATASOURCE["uid"] and source["type"] == DATASOURCE["type"]
    assert "${ADWATCH_GRAFANA_DB_PASSWORD}" in source["secureJsonData"]["password"]
    boards = yaml.safe_load((GRAFANA / "provisioning/dashboards/adwatch.yaml").read_text())
    assert boards["providers"][0]["type"] == "file"
    for uid in DASHBOARDS:
        for _title, fmt, sql in panels_of(build_dashboard(uid)):
            assert fmt in ("time_series", "table") and sql.strip()


def test_expand_time_macros() -> None:
    sql = "SELECT $__timeGroupAlias(time, $__interval), x FROM t WHERE $__timeFilter(time)"
    out = expand(sql, START, END, "5m", {})
    assert 'floor(extract(epoch from time)/300)*300 AS "time"' in out
    assert "time BETWEEN '2026-01-01T10:00:00Z' AND '2026-01-01T16:00:00Z'" in out
    assert expand("$__interval_ms $__timeTo()", START, END, "1h", {}) == (
        "3600000 '2026-01-01T16:00:00Z'"
    )


def test_expand_variables_quotes_multi_values() -> None:
    sql = "WHERE tenant_id = '$tenant' AND location_id IN ($location)"
    out = expand(sql, START, END, "1m", {"tenant": "acme", "location": ["a", "o'b"]})
    assert out == "WHERE tenant_id = 'acme' AND location_id IN ('a','o''b')"
    with pytest.raises(ValueError):
        expand("WHERE x = $unknown", START, END, "1m", {})
