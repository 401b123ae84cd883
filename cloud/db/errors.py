"""The one error root of ``cloud.db``; psycopg/SQLAlchemy errors are translated to it."""

from __future__ import annotations


class DbError(Exception):
    """Anything the database layer could not do."""


class DbUnavailable(DbError):
    """The database could not be reached or dropped the connection: retry later."""
