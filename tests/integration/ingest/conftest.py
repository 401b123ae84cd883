"""Module-scoped pipelines: a throwaway database and the run's processes, cleaned up after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.ingest.pipeline import Pipeline, throwaway_db


@pytest.fixture(scope="module")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory,
    pg_admin_dsn: str,
    pg_dsn: str,
    kafka_bootstrap: str,
    mqtt_broker: tuple[str, int],
    redis_url: str,
) -> Iterator[Pipeline]:
    log_dir: Path = tmp_path_factory.mktemp("ingest")
    with throwaway_db(pg_admin_dsn, pg_dsn) as dsn:
        pipe = Pipeline(kafka_bootstrap, mqtt_broker, redis_url, dsn, log_dir)
        try:
            yield pipe
        finally:
            pipe.stop_all()
            pipe.cleanup()
