"""Tenant-hourly and daily ad-break rollups over ``ad_minutes_hourly`` (see ``ddl_0003``).

Measured on the API benchmark (10,000 devices, 50 venues, 30 days): "ad breaks per
hour over 30 days" aggregated ~108,000 rows per request from the hourly rollup;
from ``ad_breaks_tenant_hourly`` it reads 720.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

from cloud.db import ddl_0003
from cloud.db.options import from_migration_context, recorded_path_in_migration

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    opts = from_migration_context()
    for statement in ddl_0003.upgrade(recorded_path_in_migration(), opts):
        op.execute(statement)


def downgrade() -> None:
    for statement in ddl_0003.downgrade():
        op.execute(statement)
