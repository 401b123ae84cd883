"""Module-scoped pipelines: a throwaway database and the run's processes, cleaned up after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.ingest.pipeline import Pipeline, throwaway_db
from tests.support.mosquitto import run_mosquitto

# What a connector's broker needs: room to hold the connectors' sessions' backlog while
# Kafka is down (the connector stops acknowledging, the broker keeps the rest). Mosquitto's
# default of 1,000 queued messages per session drops QoS 1 messages beyond that.
CONNECTOR_BROKER_CONFIG = "max_queued_messages 1000000\nmax_inflight_messages 0\n"


@pytest.fixture(scope="module")
def ingest_db(pg_admin_dsn: str, pg_dsn: str) -> Iterator[str]:
    with throwaway_db(pg_admin_dsn, pg_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory,
    ingest_db: str,
    kafka_bootstrap: str,
    mqtt_broker: tuple[str, int],
    redis_url: str,
) -> Iterator[Pipeline]:
    """A pipeline on the stack's Mosquitto."""
    log_dir: Path = tmp_path_factory.mktemp("ingest")
    pipe = Pipeline(kafka_bootstrap, mqtt_broker, redis_url, ingest_db, log_dir)
    try:
        yield pipe
    finally:
        pipe.stop_all()
        pipe.cleanup()


@pytest.fixture(scope="module")
def pipeline_own_broker(
    tmp_path_factory: pytest.TempPathFactory,
    ingest_db: str,
    kafka_bootstrap: str,
    redis_url: str,
) -> Iterator[Pipeline]:
    """A pipeline on a private Mosquitto configured for long Kafka outages."""
    log_dir: Path = tmp_path_factory.mktemp("ingest")
    with run_mosquitto(CONNECTOR_BROKER_CONFIG) as broker:
        pipe = Pipeline(kafka_bootstrap, (broker.host, broker.port), redis_url, ingest_db, log_dir)
        try:
            yield pipe
        finally:
            pipe.stop_all()
            pipe.cleanup()
