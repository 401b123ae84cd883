"""Throwaway databases on both storage paths.

Plain PostgreSQL: a fresh database per module (created with the admin DSN).
TimescaleDB (PGlite): one database that serves ONE connection at a time, shared
with other tests, so each module migrates into its own schema and every
connection is closed before the next one opens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from cloud.db import migrate
from cloud.db.storage_path import StoragePath


@dataclass(frozen=True, slots=True)
class Target:
    path: StoragePath
    dsn: str
    schema: str | None = None

    def connect(self, autocommit: bool = False) -> psycopg.Connection[Any]:
        # No server-side prepared statements: PGlite's single backend outlives client
        # connections, so psycopg's "_pg3_0" names would collide across connections.
        conn = psycopg.connect(
            self.dsn, autocommit=True, connect_timeout=120, prepare_threshold=None
        )
        if self.schema:
            conn.execute(f"SET search_path TO {self.schema}, public")
        conn.autocommit = autocommit
        return conn

    async def aconnect(self) -> psycopg.AsyncConnection[Any]:
        """Autocommit; on TimescaleDB (PGlite) open nothing else while it is open."""
        conn = await psycopg.AsyncConnection.connect(
            self.dsn, autocommit=True, connect_timeout=120, prepare_threshold=None
        )
        if self.schema:
            await conn.execute(f"SET search_path TO {self.schema}, public")
        return conn  # autocommit: the sink opens its own transaction per batch

    def upgrade(self, **kw: Any) -> None:
        migrate.upgrade(self.dsn, schema=self.schema, **kw)

    def downgrade(self) -> None:
        migrate.downgrade(self.dsn, schema=self.schema)


def _with_db(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def throwaway_database(admin_dsn: str) -> Iterator[Target]:
    """A fresh plain-PostgreSQL database, dropped afterwards."""
    name = f"adwatch_dbtest_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield Target(StoragePath.POSTGRES, _with_db(admin_dsn, name))
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def plain_target(pg_admin_dsn: str) -> Iterator[Target]:
    with throwaway_database(pg_admin_dsn) as target:
        yield target


@pytest.fixture(scope="module")
def timescale_target(timescale_dsn: str) -> Iterator[Target]:
    target = Target(StoragePath.TIMESCALE, timescale_dsn, f"dbtest_{uuid.uuid4().hex[:10]}")
    try:
        yield target
    finally:
        with psycopg.connect(timescale_dsn, autocommit=True, connect_timeout=60) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {target.schema} CASCADE")


@pytest.fixture(scope="module", params=["postgres", "timescale"])
def target(request: pytest.FixtureRequest) -> Target:
    """A not-yet-migrated target on each storage path."""
    name = "plain_target" if request.param == "postgres" else "timescale_target"
    result: Target = request.getfixturevalue(name)
    return result


@pytest.fixture(scope="module")
def migrated(target: Target) -> Target:
    target.upgrade()
    return target
