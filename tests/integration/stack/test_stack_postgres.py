"""PostgreSQL 15 in the stack: the adwatch role writes and reads; the admin DSN is a superuser."""

from __future__ import annotations

import uuid

import psycopg
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def test_write_and_read(pg_dsn: str) -> None:
    table = f"smoke_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, connect_timeout=10) as conn:
        conn.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, note text NOT NULL)")
        try:
            ids = [uuid.uuid4() for _ in range(3)]
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {table} (id, note) VALUES (%s, %s)", [(i, str(i)) for i in ids]
                )
            conn.commit()
            with psycopg.connect(pg_dsn, connect_timeout=10) as other:
                rows = other.execute(f"SELECT id, note FROM {table} ORDER BY note").fetchall()
            assert rows == sorted(((i, str(i)) for i in ids), key=lambda r: r[1])
        finally:
            conn.rollback()
            conn.execute(f"DROP TABLE {table}")
            conn.commit()


def test_roles(pg_dsn: str, pg_admin_dsn: str) -> None:
    with psycopg.connect(pg_admin_dsn, connect_timeout=10) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        row = conn.execute(
            "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        adwatch = conn.execute(
            "SELECT rolcreatedb FROM pg_roles WHERE rolname = 'adwatch'"
        ).fetchone()
        max_conn = conn.execute("SHOW max_connections").fetchone()
    assert version is not None and int(version[0]) // 10000 == 15
    assert row == (True, True)
    assert adwatch == (True,)
    assert max_conn == ("200",)
    with psycopg.connect(pg_dsn, connect_timeout=10) as conn:
        who = conn.execute("SELECT current_user, current_database()").fetchone()
    assert who == ("adwatch", "adwatch")


def test_wrong_password_is_refused(pg_dsn: str) -> None:
    bad = pg_dsn.replace("adwatch:adwatch@", "adwatch:wrong@")
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(bad, connect_timeout=10)
