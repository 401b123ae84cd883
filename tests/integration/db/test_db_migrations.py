"""Migrations on both storage paths: upgrade, downgrade to base, upgrade again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cloud.db.ddl_0001 import ALL_SERIES
from cloud.db.ddl_0003 import ALL_ROLLUPS as ROLLUPS
from cloud.db.models import Base
from cloud.db.storage_path import StoragePath, recorded
from tests.integration.db.conftest import Target, throwaway_database

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

RELATIONAL = ("tenants", "locations", "devices", "device_credentials", "firmware", "rollouts")

TABLES_SQL = """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm')
      AND NOT c.relispartition"""
COLUMNS_SQL = """SELECT column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = %s"""


def _relations(target: Target) -> set[str]:
    with target.connect() as conn:
        return {r[0] for r in conn.execute(TABLES_SQL).fetchall()}


def _check_schema(target: Target) -> None:
    names = _relations(target)
    assert set(RELATIONAL) | set(ALL_SERIES) | set(ROLLUPS) <= names
    with target.connect() as conn:
        assert recorded(conn.cursor()) is target.path
        # The typed models describe exactly the columns the migration made.
        for table in Base.metadata.sorted_tables:
            cols = {r[0] for r in conn.execute(COLUMNS_SQL, (table.name,)).fetchall()}
            assert cols == {c.name for c in table.columns}, table.name
        for view in ROLLUPS:  # rollups are queryable (empty) on both paths
            conn.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()


def _check_timescale(target: Target) -> None:
    with target.connect() as conn:
        hypertables = {
            r[0]
            for r in conn.execute(
                "SELECT hypertable_name FROM timescaledb_information.hypertables "
                "WHERE hypertable_schema = current_schema()"
            ).fetchall()
        }
        assert set(ALL_SERIES) <= hypertables
        caggs = {
            r[0]
            for r in conn.execute(
                "SELECT view_name FROM timescaledb_information.continuous_aggregates "
                "WHERE view_schema = current_schema()"
            ).fetchall()
        }
        assert caggs == set(ROLLUPS)
        jobs = conn.execute(
            "SELECT proc_name, count(*) FROM timescaledb_information.jobs "
            "WHERE hypertable_schema = current_schema() GROUP BY 1"
        ).fetchall()
    counts = dict(jobs)
    assert counts["policy_compression"] == len(ALL_SERIES)
    assert counts["policy_refresh_continuous_aggregate"] == len(ROLLUPS)
    assert counts["policy_retention"] >= len(ALL_SERIES)  # + the rollups' own


def _check_partitioned(target: Target) -> None:
    with target.connect() as conn:
        kinds = dict(
            conn.execute(
                "SELECT relname, relkind FROM pg_class WHERE relname = ANY(%s) "
                "AND relnamespace = current_schema()::regnamespace",
                (list(ALL_SERIES),),
            ).fetchall()
        )
        assert set(kinds.values()) == {"p"}
        parts = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'device_health'::regclass"
        ).fetchone()
        assert parts is not None and parts[0] == 1 + 9  # default + yesterday..today+7
        views = dict(
            conn.execute(
                "SELECT relname, relkind FROM pg_class WHERE relname = ANY(%s)", (list(ROLLUPS),)
            ).fetchall()
        )
        assert set(views.values()) == {"m"}


def test_upgrade_downgrade_upgrade(target: Target) -> None:
    target.upgrade()
    _check_schema(target)
    if target.path is StoragePath.TIMESCALE:
        _check_timescale(target)
    else:
        _check_partitioned(target)
    target.downgrade()
    assert _relations(target) <= {"alembic_version"}
    target.upgrade()
    _check_schema(target)


def test_concurrent_migrations_take_turns(pg_admin_dsn: str) -> None:
    """Replicas starting together: one migrates, the others find the schema at head."""
    code = "import sys; from cloud.db import migrate; migrate.upgrade(sys.argv[1])"
    with throwaway_database(pg_admin_dsn) as fresh:
        procs = [subprocess.Popen([sys.executable, "-c", code, fresh.dsn]) for _ in range(2)]
        assert [p.wait(timeout=120) for p in procs] == [0, 0]
        with fresh.connect() as conn:
            versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    from alembic.script import ScriptDirectory

    from cloud.db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(fresh.dsn)).get_current_head()
    assert versions == [(head,)]
