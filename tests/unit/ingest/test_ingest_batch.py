"""Stream batch handling and settings (pure)."""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broker.connector.config import load_settings as load_connector
from broker.connector.errors import ConnectorConfigError
from broker.connector.kafka import backoff as connector_backoff
from cloud.stream.batch import INGEST_KINDS, backoff, decode_batch, halves
from cloud.stream.config import load_settings
from cloud.stream.errors import StreamConfigError
from cloud.stream.lag import consumer_lag
from schemas.kafka import IngestRecord, encode_record
from schemas.topics import TopicKind
from tests.support.messages import health_report

TP = namedtuple("TP", "topic partition")


def _record(i: int) -> IngestRecord:
    msg = health_report(uptime_s=i)
    return IngestRecord(
        tenant="t",
        location="l",
        device=f"d{i}",
        kind=TopicKind.HEALTH,
        received_at=datetime.now(UTC),
        payload=msg,
    )


def test_decode_batch_sets_aside_what_is_not_a_record() -> None:
    good = [_record(i) for i in range(3)]
    out = decode_batch([encode_record(good[0]), b"junk", None, encode_record(good[2])])
    assert out.records == [good[0], good[2]]
    assert [e.reason for _, e in out.invalid] == ["invalid_record", "invalid_record"]


def test_halves_cover_the_batch_in_order() -> None:
    records = [_record(i) for i in range(5)]
    left, right = halves(records)
    assert left + right == records and len(left) == 2


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff(i) for i in range(12)]
    assert delays == sorted(delays) and delays[-1] == 10.0
    assert connector_backoff(50) == 5.0


def test_every_uplink_kind_has_an_agent() -> None:
    assert {k for k in TopicKind if k.uplink} == set(INGEST_KINDS)


def test_consumer_lag_sums_partitions_and_never_goes_negative() -> None:
    end = {TP("a", 0): 10, TP("a", 1): 5, TP("b", 0): 3}
    committed = {TP("a", 0): 4, TP("a", 1): None, TP("b", 0): 7}
    assert consumer_lag(end, committed) == {"a": 11, "b": 0}


def test_stream_settings_from_file_env_and_flags(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[stream]\napp_id = "from-file"\nbatch_size = 10\n')
    env = {"ADWATCH_PG_DSN": "postgresql://x@h/db", "ADWATCH_STREAM_APP_ID": "from-env"}
    settings = load_settings(path, env, {"batch_size": 20, "topic_prefix": None})
    assert (settings.app_id, settings.batch_size, settings.pg_dsn) == (
        "from-env",
        20,
        "postgresql://x@h/db",
    )
    assert settings.state.online_ttl_s == 90.0


def test_unknown_settings_keys_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[stream]\nbatch_sise = 10\n")
    with pytest.raises(StreamConfigError):
        load_settings(path, {}, {})
    path.write_text("[connector.mqtt]\nhots = 'x'\n")
    with pytest.raises(ConnectorConfigError):
        load_connector(path, {}, {})


def test_connector_settings_env_and_flags() -> None:
    env = {"ADWATCH_MQTT_PORT": "51883", "ADWATCH_KAFKA_BOOTSTRAP": "k:1"}
    settings = load_connector(None, env, {("mqtt", "client_id"): "c9"})
    assert (settings.mqtt.port, settings.kafka.bootstrap, settings.mqtt.client_id) == (
        51883,
        "k:1",
        "c9",
    )
