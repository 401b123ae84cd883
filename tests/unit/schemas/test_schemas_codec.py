"""The codec: every message round-trips; bad input only ever raises SchemaError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import codec
from schemas import messages as m
from schemas.errors import SchemaError
from schemas.ids import new_message_id, utc_now

from .strategies import MESSAGES, any_message

FUZZ = settings(max_examples=2500, deadline=None, suppress_health_check=list(HealthCheck))


def test_every_message_type_has_a_strategy() -> None:
    assert set(MESSAGES) == set(m.ALL_MESSAGES)


@pytest.mark.parametrize("cls", m.ALL_MESSAGES, ids=lambda c: c.__name__)
def test_round_trip_per_type(cls: type) -> None:
    @given(MESSAGES[cls])
    @settings(max_examples=60, deadline=None)
    def check(message: Any) -> None:
        data = codec.encode(message)
        assert codec.decode(data) == message
        assert codec.decode(data, cls) == message

    check()


def _valid_health() -> m.HealthReport:
    return m.HealthReport.new(
        cpu_percent=12.5,
        memory_percent=40,
        disk_percent=70,
        temperature_c=55.0,
        uptime_s=100,
        fps=29.97,
        inference_ms_p50=3.1,
        inference_ms_p95=7.9,
        queue_depth=0,
    )


def _payload(**changes: Any) -> bytes:
    doc = json.loads(codec.encode(_valid_health()))
    for key, value in changes.items():
        if value is ...:
            doc.pop(key)
        else:
            doc[key] = value
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b"\xff\xfe\x00", "invalid_json"),
        (b"[1, 2]", "wrong_type"),
        (_payload(cpu_percent="high"), "wrong_type"),
        (_payload(queue_depth=...), "missing_field"),
        (_payload(schema_version=...), "missing_field"),
        (_payload(schema_version=2), "unknown_version"),
        (_payload(schema_version=0), "unknown_version"),
        (_payload(ts="2026-01-01T10:00:00"), "not_utc"),
        (_payload(ts="2026-01-01T10:00:00+02:00"), "not_utc"),
        (_payload(type="no-such-message"), "wrong_type"),
        (_payload(message_id="1c9f8a50-0f3b-4c8e-9a1c-3f0e6d1b2a77"), "invalid_value"),
        (_payload(cpu_percent=101), "invalid_value"),
        (b" " * (codec.MAX_PAYLOAD_BYTES + 1), "too_large"),
    ],
)
def test_bad_input_says_what_was_wrong(payload: bytes, reason: str) -> None:
    with pytest.raises(SchemaError) as info:
        codec.decode(payload)
    assert info.value.reason == reason, str(info.value)


def test_decode_with_expected_type_rejects_other_messages() -> None:
    with pytest.raises(SchemaError):
        codec.decode(codec.encode(_valid_health()), m.DeviceStatus)


def test_non_bytes_input_is_a_schema_error() -> None:
    with pytest.raises(SchemaError):
        codec.decode(12345)


def test_encode_refuses_oversize() -> None:
    big = m.CommandResult.new(
        command_id=new_message_id(),
        ok=True,
        detail="x" * 4000,
        data={str(i): "y" * 120 for i in range(32)},
    )
    codec.encode(big)  # just under: 32 * ~130 bytes
    huge = msgspec.structs.replace(big, detail="x" * (codec.MAX_PAYLOAD_BYTES + 1))
    with pytest.raises(SchemaError) as info:
        codec.encode(huge)
    assert info.value.reason == "too_large"


def test_constructing_non_utc_message_fails() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="UTC"):
        m.DeviceStatus.new(state="online", since=datetime(2026, 1, 1), firmware="1.0")


def test_ended_before_started_is_rejected() -> None:
    from datetime import timedelta

    now = utc_now()
    doc = json.loads(
        codec.encode(
            m.AdBreakEnded.new(
                break_id=new_message_id(),
                source="espn",
                started_at=now,
                ended_at=now,
                confidence=0.9,
                action="mute",
                model_version="rf-1",
            )
        )
    )
    doc["ended_at"] = (now - timedelta(seconds=5)).isoformat()
    with pytest.raises(SchemaError):
        codec.decode(json.dumps(doc).encode())


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_only_give_schema_error(data: bytes) -> None:
    with contextlib.suppress(SchemaError):  # anything else propagates and fails
        codec.decode(data)


def _mutate(value: Any, draw: st.DrawFn) -> Any:
    """Replace, drop or retype one node of a JSON document."""
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        choice = draw(st.integers(0, 2))
        out = dict(value)
        if choice == 0:
            out.pop(key)
        else:
            out[key] = _mutate(value[key], draw) if choice == 1 else draw(junk)
        return out
    return draw(junk)


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_payloads(draw: st.DrawFn) -> bytes:
    message = draw(any_message)
    doc = json.loads(codec.encode(message))
    mutated = _mutate(doc, draw)
    data = json.dumps(mutated).encode()
    if draw(st.booleans()):  # also corrupt the bytes themselves sometimes
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=8)) + data[cut:]
    return data


@FUZZ
@given(mutated_payloads())
def test_mutated_valid_payloads_only_give_schema_error(data: bytes) -> None:
    try:
        message = codec.decode(data)
    except SchemaError:
        return
    # A mutation can still be valid (e.g. a string replaced by another string);
    # then it must be a real message that encodes again.
    assert isinstance(message, m.ALL_MESSAGES)
    codec.encode(message)
