"""``day_split``: which part of an analytics window the daily rollup may answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cloud.db.queries import ad_breaks_query, day_split

DAY = timedelta(days=1)
hours = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23), timezones=st.just(UTC)
).map(lambda d: d.replace(minute=0, second=0, microsecond=0))


def _midnight(d: datetime) -> bool:
    return (d.hour, d.minute, d.second, d.microsecond) == (0, 0, 0, 0)


@given(hours, hours)
def test_split_is_whole_days_inside_the_window(a: datetime, b: datetime) -> None:
    start, end = min(a, b), max(a, b)
    if start == end:
        return
    days_start, days_end = day_split(start, end)
    assert start <= days_start <= days_end <= end
    if days_start == days_end:
        assert days_start == end  # the first hourly part covers everything
        # and indeed no whole UTC day fits in the window
        floor = start.replace(hour=0)
        first = start if _midnight(start) else floor + DAY if end - floor > DAY else None
        assert first is None or end - first < DAY
        return
    assert _midnight(days_start) and _midnight(days_end)
    # the hourly parts at either end are shorter than a day
    assert days_start - start < DAY and end - days_end < DAY


def test_examples() -> None:
    t = datetime(2026, 11, 1, tzinfo=UTC)
    assert day_split(t + timedelta(hours=5), t + timedelta(days=3, hours=2)) == (
        t + DAY,
        t + 3 * DAY,
    )
    assert day_split(t, t + DAY) == (t, t + DAY)
    assert day_split(t + timedelta(hours=1), t + DAY + timedelta(hours=23)) == (
        t + DAY + timedelta(hours=23),
        t + DAY + timedelta(hours=23),
    )
    assert day_split(t + timedelta(hours=1), t + 2 * DAY) == (t + DAY, t + 2 * DAY)


def test_hour_grouping_uses_the_tenant_rollup_unless_filtered() -> None:
    t = datetime(2026, 11, 1, tzinfo=UTC)
    sql, params = ad_breaks_query("hour", "acme", t, t + 30 * DAY, None)
    assert "ad_breaks_tenant_hourly" in sql and "days_start" not in params
    sql, _ = ad_breaks_query("hour", "acme", t, t + 30 * DAY, "bar-1")
    assert "ad_minutes_hourly" in sql and "location_id = %(location)s" in sql
    sql, params = ad_breaks_query("channel", "acme", t, t + 30 * DAY, None)
    assert "ad_breaks_daily" in sql and params["days_start"] == t
