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


def run_online() -> None:
    engine = create_engine(sqlalchemy_url(_dsn()), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, transactional_ddl=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
