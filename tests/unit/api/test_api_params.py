"""Pure request-parameter rules: windows, cursors, byte ranges, whole hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.api.analytics.services import whole_hours
from cloud.api.errors import BadRequest
from cloud.api.firmware.ranges import ByteRange, Unsatisfiable, etag_matches, parse_range
from cloud.api.params import Window, decode_cursor, encode_cursor, window

NOW = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def test_window_defaults_end_now() -> None:
    assert window(None, None, NOW, timedelta(hours=24)) == Window(NOW - timedelta(hours=24), NOW)


def test_window_takes_naive_as_utc_and_converts_offsets() -> None:
    naive = datetime(2026, 5, 1, 10)
    paris = datetime(2026, 5, 1, 13, tzinfo=timezone(timedelta(hours=2)))
    assert window(naive, paris, NOW, timedelta(1)) == Window(
        datetime(2026, 5, 1, 10, tzinfo=UTC), datetime(2026, 5, 1, 11, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [(NOW, NOW), (NOW, NOW - timedelta(seconds=1)), (NOW - timedelta(days=400), NOW)],
)
def test_bad_windows_are_rejected(start: datetime, end: datetime) -> None:
    with pytest.raises(BadRequest):
        window(start, end, NOW, timedelta(hours=1))


def test_window_near_the_minimum_date_is_a_400_not_a_crash() -> None:
    with pytest.raises(BadRequest):
        window(None, datetime(1, 1, 1, tzinfo=UTC), NOW, timedelta(hours=1))


@given(st.from_regex(r"[a-z0-9][a-z0-9-]{0,62}", fullmatch=True))
def test_cursor_round_trip(device_id: str) -> None:
    assert decode_cursor(encode_cursor(device_id)) == device_id


@given(st.text(max_size=80))
def test_garbage_cursors_are_400(text: str) -> None:
    try:
        decode_cursor(text)
    except BadRequest:
        return
    # Only strings that really encode a valid cursor may decode.
    assert encode_cursor(decode_cursor(text)).rstrip("=") == text.rstrip("=")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", ByteRange(0, 9)),
        ("bytes=90-", ByteRange(90, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=-500", ByteRange(0, 99)),
        ("bytes=95-500", ByteRange(95, 99)),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        (None, None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 100, if_range=None, etag='"x"') == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=-0", "bytes=9-3"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 100, if_range=None, etag='"x"')


def test_if_range_mismatch_serves_everything() -> None:
    assert parse_range("bytes=0-9", 100, if_range='"old"', etag='"new"') is None
    assert parse_range("bytes=0-9", 100, if_range='"new"', etag='"new"') == ByteRange(0, 9)


def test_etag_matches() -> None:
    assert etag_matches('"a", "b"', '"b"') and etag_matches("*", '"b"')
    assert not etag_matches(None, '"b"') and not etag_matches('"a"', '"b"')


def test_whole_hours_covers_the_window() -> None:
    win = Window(datetime(2026, 5, 1, 10, 15, tzinfo=UTC), datetime(2026, 5, 1, 12, 30, tzinfo=UTC))
    assert whole_hours(win) == Window(
        datetime(2026, 5, 1, 10, tzinfo=UTC), datetime(2026, 5, 1, 13, tzinfo=UTC)
    )
    exact = Window(datetime(2026, 5, 1, 10, tzinfo=UTC), datetime(2026, 5, 1, 12, tzinfo=UTC))
    assert whole_hours(exact) == exact
