"""Initial schema: relational tables, time series, hourly rollups (both storage paths).

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import context, op

from cloud.db import ddl_0001
from cloud.db.errors import DbError
from cloud.db.options import StorageOptions, from_migration_context, recorded_path_in_migration
from cloud.db.storage_path import StoragePath, detect

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _path(opts: StorageOptions) -> StoragePath:
    if context.is_offline_mode():
        if opts.storage is None:
            raise DbError("offline (--sql) mode needs -x storage=timescale|postgres")
        return opts.storage
    cur = op.get_bind().connection.cursor()
    try:
        return detect(cur, opts.storage)
    finally:
        cur.close()


def upgrade() -> None:
    opts = from_migration_context()
    path = _path(opts)
    for statement in ddl_0001.upgrade(path, opts, datetime.now(UTC).date()):
        op.execute(statement)


def downgrade() -> None:
    for statement in ddl_0001.downgrade(recorded_path_in_migration()):
        op.execute(statement)
