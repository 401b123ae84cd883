"""``adwatch-cloud db``: migrate, downgrade, upkeep, seed and Grafana dashboards.

The DSN comes from ``--dsn``, else the ``[db] dsn`` of ``--config FILE`` (TOML),
else ``ADWATCH_DB_DSN``, else ``ADWATCH_PG_DSN``. Storage options for ``migrate``
come from ``-x key=value`` (as with alembic), the ``[db]`` table, then
``ADWATCH_DB_<KEY>`` environment variables.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from cloud.db.errors import DbError

log = structlog.get_logger(__name__)
_DB_KEYS = {"dsn", "retention_days", "compress_after_days", "partition_ahead_days",
            "refresh_start_days", "storage", "upkeep_interval_s"}  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="adwatch-cloud db", description=__doc__)
    p.add_argument("--config", type=Path, help="TOML file with a [db] table")
    p.add_argument("--dsn", help="postgresql:// URL (overrides config and environment)")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    m = sub.add_parser("migrate", help="upgrade the schema (alembic upgrade)")
    m.add_argument("--revision", default="head")
    m.add_argument(
        "-x",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="storage option, e.g. retention_days=30, storage=postgres",
    )
    d = sub.add_parser("downgrade", help="downgrade the schema (default: to base, drops all)")
    d.add_argument("--revision", default="base")
    sub.add_parser("current", help="print the current revision")
    u = sub.add_parser("upkeep", help="partitions, retention, rollup refresh")
    u.add_argument(
        "--every",
        type=float,
        default=0.0,
        help="repeat every N seconds (0: once; default from [db] upkeep_interval_s)",
    )
    u.add_argument("--full-refresh", action="store_true", help="refresh rollups over all time")
    u.add_argument(
        "--run-jobs",
        action="store_true",
        help="TimescaleDB: run retention/compression jobs now (no scheduler)",
    )
    s = sub.add_parser("seed", help="write deterministic demo traffic through the sink")
    s.add_argument("--tenants", type=int, default=2)
    s.add_argument("--locations", type=int, default=2, help="per tenant")
    s.add_argument("--devices", type=int, default=3, help="per location")
    s.add_argument("--hours", type=int, default=6)
    g = sub.add_parser("grafana", help="write the dashboards JSON (from cloud.db.queries)")
    g.add_argument("--out", type=Path, required=True, help="directory for <uid>.json files")
    return p  # fmt: skip


def _config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    with path.open("rb") as fh:
        table = tomllib.load(fh).get("db", {})
    unknown = set(table) - _DB_KEYS
    if unknown:
        raise DbError(f"{path}: unknown [db] key(s): {', '.join(sorted(unknown))}")
    return dict(table)


def _dsn(args: argparse.Namespace, cfg: dict[str, Any]) -> str:
    dsn = args.dsn or cfg.get("dsn") or os.environ.get("ADWATCH_DB_DSN")
    dsn = dsn or os.environ.get("ADWATCH_PG_DSN")
    if not dsn:
        raise DbError("no database: pass --dsn, set [db] dsn, ADWATCH_DB_DSN or ADWATCH_PG_DSN")
    return str(dsn)


def _migrate(args: argparse.Namespace, dsn: str, cfg: dict[str, Any]) -> None:
    from cloud.db import migrate
    from cloud.db.options import options_from

    x_args = {k: str(v) for k, v in cfg.items() if k not in ("dsn", "upkeep_interval_s")}
    for item in args.x:
        key, sep, value = item.partition("=")
        if not sep:
            raise DbError(f"-x wants KEY=VALUE, got {item!r}")
        x_args[key.strip()] = value.strip()
    migrate.upgrade(dsn, args.revision, options_from(x_args, os.environ))


def _upkeep(args: argparse.Namespace, dsn: str, cfg: dict[str, Any]) -> None:
    import psycopg

    from cloud.db.sink import translated
    from cloud.db.upkeep import UpkeepOptions, run_upkeep

    every = args.every or float(cfg.get("upkeep_interval_s", 0))
    opts = UpkeepOptions(full_refresh=args.full_refresh, run_jobs=args.run_jobs)
    while True:
        with translated(), psycopg.connect(dsn, autocommit=True) as conn:
            report = run_upkeep(conn, opts=opts)
        print(
            json.dumps(
                {
                    "path": report.path.value,
                    "created": report.created,
                    "dropped": report.dropped,
                    "moved_rows": report.moved_rows,
                    "deleted_rows": report.deleted_rows,
                    "refreshed": report.refreshed,
                }
            )
        )
        if every <= 0:
            return
        time.sleep(every)  # fmt: skip


def _seed(args: argparse.Namespace, dsn: str) -> None:
    import psycopg

    from cloud.db.seed import SeedPlan, demo_records
    from cloud.db.sink import translated, write_records_sync

    plan = SeedPlan(tenants=args.tenants, locations=args.locations, devices=args.devices,
                    hours=args.hours)  # fmt: skip
    records = demo_records(plan, datetime.now(UTC))
    with translated(), psycopg.connect(dsn) as conn:
        result = write_records_sync(conn, records)
    print(json.dumps({"records": len(records), "inserted": result.inserted,
                      "duplicates": result.duplicates}))  # fmt: skip


def _grafana(out: Path) -> None:
    from cloud.db.grafana import build_dashboard
    from cloud.db.queries import DASHBOARDS

    out.mkdir(parents=True, exist_ok=True)
    for uid in DASHBOARDS:
        text = json.dumps(build_dashboard(uid), indent=2, ensure_ascii=False) + "\n"
        (out / f"{uid}.json").write_text(text, encoding="utf-8")
        print(out / f"{uid}.json")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.action == "grafana":
            _grafana(args.out)
            return 0
        cfg = _config(args.config)
        dsn = _dsn(args, cfg)
        if args.action == "migrate":
            _migrate(args, dsn, cfg)
        elif args.action == "downgrade":
            from cloud.db import migrate

            migrate.downgrade(dsn, args.revision)
        elif args.action == "current":
            from cloud.db import migrate

            migrate.current(dsn)
        elif args.action == "upkeep":
            _upkeep(args, dsn, cfg)
        elif args.action == "seed":
            _seed(args, dsn)
    except DbError as exc:
        log.error("db.failed", action=args.action, error=str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
