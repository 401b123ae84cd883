"""Run the Alembic migrations programmatically (the package ships its alembic.ini)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from cloud.db.errors import DbError, DbUnavailable
from cloud.db.options import StorageOptions

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INI = MIGRATIONS / "alembic.ini"


def alembic_config(
    dsn: str, options: StorageOptions | None = None, schema: str | None = None
) -> Config:
    """``schema``: migrate into that schema (created if missing) instead of ``public``."""
    cfg = Config(str(INI))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_locations", str(MIGRATIONS / "versions"))
    cfg.attributes["dsn"] = dsn
    if options is not None:
        cfg.attributes["storage_options"] = options
    if schema is not None:
        cfg.attributes["schema"] = schema
    return cfg


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        raise DbUnavailable(str(exc.orig)) from exc
    except DBAPIError as exc:
        raise DbError(str(exc.orig)) from exc
    except SQLAlchemyError as exc:
        raise DbError(str(exc)) from exc


def upgrade(
    dsn: str, revision: str = "head", options: StorageOptions | None = None,
    schema: str | None = None,
) -> None:  # fmt: skip
    with _translated():
        command.upgrade(alembic_config(dsn, options, schema), revision)


def downgrade(dsn: str, revision: str = "base", schema: str | None = None) -> None:
    with _translated():
        command.downgrade(alembic_config(dsn, schema=schema), revision)


def current(dsn: str) -> None:
    with _translated():
        command.current(alembic_config(dsn), verbose=False)
