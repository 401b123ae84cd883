"""Grafana dashboards built from ``cloud.db.queries``, and Grafana's SQL macros expanded.

``build_dashboard`` gives the JSON model committed under ``ops/grafana/dashboards``
(``adwatch-cloud db grafana --out ops/grafana/dashboards`` regenerates it; a test
checks the committed files are current). ``expand`` performs what Grafana's
PostgreSQL data source does to a panel's SQL before sending it, so tests can
run every panel on both storage paths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cloud.db.queries import DASHBOARDS, VARIABLES, Panel

DATASOURCE = {"type": "grafana-postgresql-datasource", "uid": "adwatch-pg"}
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_GROUP = re.compile(r"\$__timeGroup(Alias)?\(\s*([^,()]+?)\s*,\s*'?([0-9]+[a-z]+)'?\s*\)")
_FILTER = re.compile(r"\$__timeFilter\(\s*([^()]+?)\s*\)")


def interval_seconds(text: str) -> float:
    """Grafana interval text ('30s', '5m', '1h', '500ms') to seconds."""
    m = re.fullmatch(r"([0-9]+)(ms|s|m|h|d|w)", text)
    if m is None:
        raise ValueError(f"bad interval {text!r}")
    return int(m[1]) * _UNITS[m[2]]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("'%Y-%m-%dT%H:%M:%SZ'")


def expand(
    sql: str, start: datetime, end: datetime, interval: str,
    variables: Mapping[str, str | Sequence[str]],
) -> str:  # fmt: skip
    """Grafana's macro and variable expansion for a PostgreSQL panel."""
    seconds = interval_seconds(interval)
    # Variables: single values raw (panels quote them), multi values as a quoted list.
    for name in sorted(variables, key=len, reverse=True):
        value = variables[name]
        text = value if isinstance(value, str) else ",".join(_quote(v) for v in value)
        sql = sql.replace(f"${{{name}}}", text).replace(f"${name}", text)
    sql = sql.replace("$__interval_ms", str(int(seconds * 1000)))
    sql = sql.replace("$__interval", interval)

    def group(m: re.Match[str]) -> str:
        n = interval_seconds(m[3])
        expr = f"floor(extract(epoch from {m[2]})/{n:g})*{n:g}"
        return expr + (' AS "time"' if m[1] else "")

    sql = _GROUP.sub(group, sql)
    sql = _FILTER.sub(lambda m: f"{m[1]} BETWEEN {_iso(start)} AND {_iso(end)}", sql)
    sql = sql.replace("$__timeFrom()", _iso(start)).replace("$__timeTo()", _iso(end))
    if "$" in sql.replace("$$", ""):
        raise ValueError(f"unexpanded macro or variable in: {sql}")
    return sql


def _panel(panel: Panel, index: int) -> dict[str, Any]:
    width = 24 if panel.kind == "table" else 12
    return {
        "id": index + 1,
        "type": panel.kind,
        "title": panel.title,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": width, "x": (index % 2) * 12 if width == 12 else 0,
                    "y": (index // 2) * 8},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {},
        "targets": [{
            "refId": "A",
            "datasource": DATASOURCE,
            "editorMode": "code",
            "rawQuery": True,
            "format": panel.format,
            "rawSql": panel.sql,
        }],
    }  # fmt: skip


def _variable(name: str, query: str) -> dict[str, Any]:
    multi = name != "tenant"
    return {
        "name": name,
        "label": name.capitalize(),
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "refresh": 1,
        "multi": multi,
        "includeAll": multi,
        "sort": 1,
    }


def build_dashboard(uid: str) -> dict[str, Any]:
    title, panels = DASHBOARDS[uid]
    used = [n for n in VARIABLES if any(f"${n}" in p.sql for p in panels)]
    if "device" in used and "location" not in used:
        used.insert(0, "location")
    if used and "tenant" not in used:
        used.insert(0, "tenant")
    return {
        "uid": uid,
        "title": title,
        "tags": ["adwatch"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": [_variable(n, VARIABLES[n]) for n in VARIABLES if n in used]},
        "panels": [_panel(p, i) for i, p in enumerate(panels)],
    }


def panels_of(dashboard: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(title, format, rawSql) of every panel target in a dashboard JSON model."""
    out = []
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            out.append((str(panel["title"]), str(target["format"]), str(target["rawSql"])))
    return out
