"""Fixtures of the API integration tests: one migrated database per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.api.support import migrated_database


@pytest.fixture(scope="module")
def api_dsn(pg_dsn: str, pg_admin_dsn: str) -> Iterator[str]:
    with migrated_database(pg_dsn, pg_admin_dsn) as dsn:
        yield dsn
