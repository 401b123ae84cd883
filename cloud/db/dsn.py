"""DSN spelling: libpq URLs for psycopg, ``postgresql+psycopg://`` for SQLAlchemy."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^(postgres|postgresql)(\+[a-z0-9]+)?://")


def sqlalchemy_url(dsn: str) -> str:
    """``postgresql://...`` (or ``postgres://``) as a SQLAlchemy URL using psycopg 3."""
    if _SCHEME.match(dsn) is None:
        raise ValueError("DSN must be a postgresql:// URL")
    return _SCHEME.sub("postgresql+psycopg://", dsn, count=1)


def libpq_dsn(dsn: str) -> str:
    """A SQLAlchemy-style URL back to the plain libpq form psycopg accepts."""
    if _SCHEME.match(dsn) is None:
        raise ValueError("DSN must be a postgresql:// URL")
    return _SCHEME.sub("postgresql://", dsn, count=1)
