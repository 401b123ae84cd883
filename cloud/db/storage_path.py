"""Which storage path a database takes: TimescaleDB or plain PostgreSQL.

The path is decided by asking ``pg_available_extensions``, never by catching
the error of ``CREATE EXTENSION`` (on plain PostgreSQL that fails with SQLSTATE
0A000, which ``undefined_file`` handlers miss). Once migrated, the decision is
recorded in ``storage_settings`` and read back from there.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from cloud.db.errors import DbError

AVAILABLE_SQL = "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
RECORDED_SQL = "SELECT value FROM storage_settings WHERE key = 'storage_path'"
TABLE_EXISTS_SQL = "SELECT to_regclass('storage_settings') IS NOT NULL"


class StoragePath(StrEnum):
    TIMESCALE = "timescale"
    POSTGRES = "postgres"


class _Cursor(Protocol):
    def execute(self, query: str, /) -> object: ...
    def fetchone(self) -> tuple[object, ...] | None: ...


def parse_path(text: str) -> StoragePath | None:
    """``auto`` (or empty) means detect; otherwise ``timescale`` or ``postgres``."""
    value = text.strip().lower()
    if value in ("", "auto"):
        return None
    try:
        return StoragePath(value)
    except ValueError:
        raise DbError(f"unknown storage path {text!r} (auto, timescale or postgres)") from None


def detect(cur: _Cursor, forced: StoragePath | None = None) -> StoragePath:
    """The path a fresh migration takes; ``forced`` wins if the server allows it."""
    cur.execute(AVAILABLE_SQL)
    available = cur.fetchone() is not None
    if forced is StoragePath.TIMESCALE and not available:
        raise DbError("storage path 'timescale' requested but the extension is not available")
    if forced is not None:
        return forced
    return StoragePath.TIMESCALE if available else StoragePath.POSTGRES


def recorded(cur: _Cursor) -> StoragePath:
    """The path a migrated database took (as recorded by the first migration)."""
    cur.execute(TABLE_EXISTS_SQL)
    row = cur.fetchone()
    if row is None or not row[0]:
        raise DbError("database is not migrated (run `adwatch-cloud db migrate`)")
    cur.execute(RECORDED_SQL)
    row = cur.fetchone()
    if row is None:
        raise DbError("storage_settings has no storage_path")
    return StoragePath(str(row[0]))
