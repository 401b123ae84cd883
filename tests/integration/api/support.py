"""Helpers for the API's integration tests: a migrated throwaway database, a running
API server (uvicorn subprocess), tokens and seed data written with plain SQL."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import jwt
import psycopg

from cloud.db.ddl_0003 import ALL_ROLLUPS
from cloud.db.migrate import upgrade
from tests.support.ports import free_port

SECRET = "integration-test-secret-0123456789abcdef"
ISSUER = "adwatch"
AUDIENCE = "adwatch-api"
REPO = Path(__file__).resolve().parents[3]


def with_dbname(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def migrated_database(pg_dsn: str, pg_admin_dsn: str) -> Iterator[str]:
    """A fresh database owned by the app role, migrated to head; dropped afterwards."""
    name = f"api_test_{uuid.uuid4().hex[:12]}"
    owner = urlsplit(pg_dsn).username
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    dsn = with_dbname(pg_dsn, name)
    try:
        upgrade(dsn)
        yield dsn
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def api_env(dsn: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """Settings for one test API: unique Redis prefixes so tests never share keys."""
    run = uuid.uuid4().hex[:8]
    env = {
        "ADWATCH_PG_DSN": dsn,
        "ADWATCH_REDIS_URL": redis_url,
        "ADWATCH_API_JWT_SECRET": SECRET,
        "ADWATCH_API_KEY_PREFIX": f"test:api:{run}",
        "ADWATCH_API_STATE_PREFIX": f"test:state:{run}",
        "ADWATCH_API_POOL_MAX": "4",
    }
    env.update(overrides)
    return env


@contextlib.contextmanager
def run_api(env: Mapping[str, str], log_path: Path, workers: int = 1) -> Iterator[str]:
    """``adwatch-cloud api`` on a free port; yields its base URL; stops it afterwards."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("ADWATCH_API_")}
    full.update(env)
    cmd = [sys.executable, "-m", "cloud.cli", "api", "--port", str(port), "--workers", str(workers)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=full, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"API exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"API did not become healthy: {log_path.read_text()[-2000:]}")


def token(
    tenant: str | None,
    role: str = "viewer",
    *,
    ttl: int = 600,
    key: str = SECRET,
    algorithm: str = "HS256",
    **claims: Any,
) -> str:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "test",
        "iat": now,
        "exp": now + ttl,
        "tenant": tenant,
        "role": role,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=algorithm)


def auth(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


# ---------------------------------------------------------------- seed data (plain SQL)


def seed_tenant(conn: psycopg.Connection[Any], tenant: str, locations: list[str]) -> None:
    conn.execute(
        "INSERT INTO tenants (id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (tenant, tenant.upper()),
    )
    for loc in locations:
        conn.execute(
            "INSERT INTO locations (tenant_id, id, name) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (tenant, loc, f"{tenant}/{loc}"),
        )


def seed_device(
    conn: psycopg.Connection[Any],
    tenant: str,
    location: str,
    device: str,
    *,
    hardware: str = "rpi4",
    status: str = "online",
    firmware: str = "1.0",
) -> None:
    conn.execute(
        "INSERT INTO devices (tenant_id, id, location_id, hardware, firmware, status) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (tenant, device, location, hardware, firmware, status),
    )


def seed_health(
    conn: psycopg.Connection[Any],
    tenant: str,
    location: str,
    device: str,
    cpu: float,
    minutes_ago: int,
) -> None:
    conn.execute(
        "INSERT INTO device_health (message_id, time, tenant_id, location_id, device_id, "
        "cpu_percent, memory_percent, disk_percent, uptime_s, fps, inference_ms_p50, "
        "inference_ms_p95, queue_depth) VALUES (gen_random_uuid(), "
        "now() - make_interval(mins => %s), %s, %s, %s, %s, 40, 50, 100, 25, 5, 9, 1)",
        (minutes_ago, tenant, location, device, cpu),
    )


def seed_break(
    conn: psycopg.Connection[Any],
    tenant: str,
    location: str,
    device: str,
    channel: str,
    minutes_ago: int,
    duration_s: float = 120.0,
) -> None:
    conn.execute(
        "INSERT INTO ad_events (message_id, time, tenant_id, location_id, device_id, event, "
        "break_id, source, started_at, ended_at, duration_s, confidence, action, controller, "
        "model_version) SELECT gen_random_uuid(), t, %s, %s, %s, 'ended', gen_random_uuid(), %s, "
        "t - make_interval(secs => %s), t, %s, 0.9, 'mute', 'ir', 'm1' "
        "FROM (SELECT now() - make_interval(mins => %s) AS t) s",
        (tenant, location, device, channel, duration_s, duration_s, minutes_ago),
    )


def seed_telemetry(
    conn: psycopg.Connection[Any],
    tenant: str,
    location: str,
    device: str,
    frames: int,
    minutes_ago: int,
) -> None:
    conn.execute(
        "INSERT INTO telemetry (message_id, time, tenant_id, location_id, device_id, "
        "period_start, period_end, frames_captured, frames_analysed, frames_dropped, ad_seconds, "
        "content_seconds, breaks, mean_confidence) "
        "SELECT gen_random_uuid(), t, %s, %s, %s, t - interval '1 minute', t, %s, %s, 0, 10, 50, "
        "1, 0.8 FROM (SELECT now() - make_interval(mins => %s) AS t) s",
        (tenant, location, device, frames, frames, minutes_ago),
    )


def seed_firmware(
    conn: psycopg.Connection[Any],
    tenant: str,
    fw_id: str,
    path: str,
    sha256: str,
    size: int,
    *,
    version: str = "1.0.0",
    channel: str = "stable",
    hardware: str = "rpi4",
) -> None:
    conn.execute(
        "INSERT INTO firmware (id, tenant_id, version, channel, hardware, sha256, size, "
        "artifact_path, signature, released_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'sig', now())",
        (fw_id, tenant, version, channel, hardware, sha256, size, path),
    )


def refresh_rollups(conn: psycopg.Connection[Any]) -> None:
    for view in ALL_ROLLUPS:  # parents first
        conn.execute(f"REFRESH MATERIALIZED VIEW {view}")
