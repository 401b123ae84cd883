"""Shared session fixtures: the local service stack started by `ops/stack up`.

Each fixture checks that its service answers. When it does not, the test is skipped — or fails
when ADWATCH_REQUIRE_STACK=1 (set by `make test`), so CI cannot pass by skipping.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NoReturn
from urllib.parse import urlsplit

import pytest
import structlog

from tests.support.ports import port_open
from tests.support.stack import read_stack_env, stack_required


def _unavailable(reason: str) -> NoReturn:
    if stack_required():
        pytest.fail(f"{reason} (ADWATCH_REQUIRE_STACK=1)", pytrace=False)
    pytest.skip(f"{reason}; run `ops/stack up`")


def _setting(stack_env: dict[str, str], key: str) -> str:
    value = stack_env.get(key)
    if not value:
        _unavailable(f"{key} is not set (no run/stack.env entry or environment variable)")
    return value


def _reachable(name: str, host: str | None, port: int | None) -> None:
    if host is None or port is None or not port_open(port, host, timeout=2.0):
        _unavailable(f"{name} does not answer on {host}:{port}")


def _url_reachable(name: str, url: str) -> str:
    parts = urlsplit(url)
    _reachable(name, parts.hostname, parts.port)
    return url


@pytest.fixture(autouse=True)
def _isolate_structlog() -> Iterator[None]:
    """Undo structlog.configure() calls made during a test (e.g. by a CLI's main()).

    A main() that binds PrintLoggerFactory(sys.stderr) under pytest binds the test's capture file;
    once that file is closed, every later test that logs fails with "I/O operation on closed file".
    """
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """All ADWATCH_* settings of the running stack (run/stack.env + environment overrides)."""
    env = read_stack_env()
    if not env:
        _unavailable("the local stack is not up (no run/stack.env)")
    return env


@pytest.fixture(scope="session")
def pg_dsn(stack_env: dict[str, str]) -> str:
    """postgresql://adwatch:adwatch@127.0.0.1:55432/adwatch (role with CREATEDB)."""
    return _url_reachable("PostgreSQL", _setting(stack_env, "ADWATCH_PG_DSN"))


@pytest.fixture(scope="session")
def pg_admin_dsn(stack_env: dict[str, str]) -> str:
    """postgresql://postgres:postgres@127.0.0.1:55432/postgres (superuser)."""
    return _url_reachable("PostgreSQL", _setting(stack_env, "ADWATCH_PG_ADMIN_DSN"))


@pytest.fixture(scope="session")
def redis_url(stack_env: dict[str, str]) -> str:
    """redis://127.0.0.1:56379/0"""
    return _url_reachable("Redis", _setting(stack_env, "ADWATCH_REDIS_URL"))


@pytest.fixture(scope="session")
def mqtt_broker(stack_env: dict[str, str]) -> tuple[str, int]:
    """(host, port) of the stack's Mosquitto 2 (MQTT 3.1.1 and 5, anonymous)."""
    host = _setting(stack_env, "ADWATCH_MQTT_HOST")
    port = int(_setting(stack_env, "ADWATCH_MQTT_PORT"))
    _reachable("Mosquitto", host, port)
    return host, port


@pytest.fixture(scope="session")
def kafka_bootstrap(stack_env: dict[str, str]) -> str:
    """127.0.0.1:59092 — single-node KRaft Kafka, topics auto-created with 6 partitions."""
    bootstrap = _setting(stack_env, "ADWATCH_KAFKA_BOOTSTRAP")
    host, _, port = bootstrap.rpartition(":")
    _reachable("Kafka", host, int(port))
    return bootstrap


@pytest.fixture(scope="session")
def timescale_dsn(stack_env: dict[str, str]) -> str:
    """PGlite + TimescaleDB; ONE connection at a time; sslmode=disable and a password."""
    return _url_reachable("TimescaleDB (PGlite)", _setting(stack_env, "ADWATCH_TIMESCALE_DSN"))
