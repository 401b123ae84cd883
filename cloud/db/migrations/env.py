"""Alembic environment: one sync SQLAlchemy connection (psycopg 3), no pool.

NullPool and a single connection because the TimescaleDB test harness (PGlite)
serves one connection at a time. Storage options are resolved here once and
handed to the migrations through ``config.attributes``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from cloud.db.dsn import sqlalchemy_url
from cloud.db.options import options_from

config = context.config
MIGRATION_LOCK = 0x61647761  # "adwa": pg_advisory_xact_lock key of adwatch migrations
x_args = context.get_x_argument(as_dictionary=True)
config.attributes.setdefault("storage_options", options_from(x_args, os.environ))


def _dsn() -> str:
    dsn = config.attributes.get("dsn") or x_args.get("dsn")
    dsn = dsn or os.environ.get("ADWATCH_DB_DSN") or os.environ.get("ADWATCH_PG_DSN")
    if not dsn:
        raise SystemExit("no database: pass -x dsn=... or set ADWATCH_DB_DSN / ADWATCH_PG_DSN")
    return str(dsn)


def run_offline() -> None:
    context.configure(url=sqlalchemy_url(_dsn()), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _schema() -> str | None:
    """Optional schema to migrate into (tests isolate themselves this way on one database)."""
    schema = config.attributes.get("schema") or x_args.get("schema")
    if schema and not schema.replace("_", "").isalnum():
        raise SystemExit(f"bad schema name {schema!r}")
    return str(schema) if schema else None


def run_online() -> None:
    engine = create_engine(sqlalchemy_url(_dsn()), poolclass=pool.NullPool)
    schema = _schema()
    try:
        with engine.connect() as connection:
            if schema:
                connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                connection.exec_driver_sql(f"SET search_path TO {schema}, public")
                connection.commit()
            context.configure(
                connection=connection, transactional_ddl=True, version_table_schema=schema
            )
            with context.begin_transaction():
                # Replicas starting together migrate one after another, not at once.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
