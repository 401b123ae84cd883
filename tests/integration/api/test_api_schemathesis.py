"""Schemathesis against the live OpenAPI schema, every operation, with a valid token:
no 5xx, and every response conforms to the schema (status codes, content types, bodies)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.api import support as s

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live_api(
    api_dsn: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("api")
    artifact = root / "fw.bin"
    artifact.write_bytes(b"firmware" * 1000)
    with psycopg.connect(api_dsn, autocommit=True) as conn:
        s.seed_tenant(conn, "acme", ["bar", "pub"])
        for i in range(3):
            s.seed_device(conn, "acme", "bar", f"tv-{i}")
            s.seed_health(conn, "acme", "bar", f"tv-{i}", 10.0 + i, 5)
            s.seed_break(conn, "acme", "bar", f"tv-{i}", "ch-1", 30)
            s.seed_telemetry(conn, "acme", "bar", f"tv-{i}", 100, 5)
        digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
        s.seed_firmware(conn, "acme", "fw-1", str(artifact), digest, artifact.stat().st_size)
        s.refresh_rollups(conn)
    env = s.api_env(
        api_dsn, redis_url, ADWATCH_API_RATE_LIMIT_ENABLED="false", ADWATCH_API_ACCESS_LOG="false"
    )
    with s.run_api(env, root / "api.log") as url:
        yield url


def _fuzz(operation: Any, headers: dict[str, str]) -> int:
    calls = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
    return calls


def test_api_conforms_to_its_schema(live_api: str) -> None:
    # The live schema, as clients see it; the base URL comes from where it was loaded.
    schema = schemathesis.openapi.from_url(f"{live_api}/schema/openapi.json")
    headers = s.auth(s.token("acme", "admin", ttl=3600))
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 13
    calls = {op.label: _fuzz(op, headers) for op in operations}
    assert all(n > 0 for n in calls.values()), calls
