"""Daily partition names, bounds, the ahead window and the whole-day retention rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cloud.db import partitions as parts
from cloud.db.errors import DbError
from cloud.db.options import StorageOptions, options_from
from cloud.db.storage_path import StoragePath, parse_path


def test_names_round_trip_and_bounds() -> None:
    p = parts.Partition("device_health", date(2026, 3, 1))
    assert p.name == "device_health_p20260301"
    assert parts.parse_partition(p.name) == p
    assert parts.parse_partition("device_health_default") is None
    assert p.upper - p.lower == timedelta(days=1) and p.lower.tzinfo is UTC
    assert "FROM ('2026-03-01 00:00:00+00') TO ('2026-03-02 00:00:00+00')" in parts.create_sql(p)


def test_wanted_days_span_yesterday_to_ahead() -> None:
    days = parts.wanted_days(date(2026, 12, 30), ahead=3)
    assert days[0] == date(2026, 12, 29) and days[-1] == date(2027, 1, 2) and len(days) == 5


def test_only_whole_expired_days_are_dropped() -> None:
    now = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
    ps = [parts.Partition("t", date(2026, 6, 10) - timedelta(days=d)) for d in range(3, 6)]
    # cutoff = 2026-06-06 15:00: the 06-05 day ended before it, 06-06 did not.
    assert [p.day for p in parts.expired(ps, now, retention_days=4)] == [date(2026, 6, 5)]


def test_options_merge_x_args_over_environment() -> None:
    env = {"ADWATCH_DB_RETENTION_DAYS": "30", "ADWATCH_DB_STORAGE": "postgres"}
    opts = options_from({"compress_after_days": "2"}, env)
    assert opts == StorageOptions(retention_days=30, compress_after_days=2,
                                  storage=StoragePath.POSTGRES)  # fmt: skip
    assert options_from({"retention_days": "10"}, env).retention_days == 10
    with pytest.raises(DbError):
        options_from({"retension_days": "10"}, {})
    with pytest.raises(DbError):
        options_from({"retention_days": "ten"}, {})
    with pytest.raises(DbError):
        options_from({"retention_days": "2"}, {})  # below the rollup refresh window


def test_storage_path_parsing() -> None:
    assert parse_path("auto") is None and parse_path("") is None
    assert parse_path(" Timescale ") is StoragePath.TIMESCALE
    with pytest.raises(DbError):
        parse_path("mysql")
