"""Hypothesis strategies that build valid contract messages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from schemas import messages as m
from schemas.ids import new_message_id

ident = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
short = st.text(max_size=40)
utc_dt = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
count = st.integers(min_value=0, max_value=2**40)
seconds = st.floats(min_value=0, max_value=1e6, allow_nan=False)
percent = st.floats(min_value=0, max_value=100, allow_nan=False)
prob = st.floats(min_value=0, max_value=1, allow_nan=False)
uuid7 = st.builds(lambda _: new_message_id(), st.integers())
uuid_any = st.uuids()
args = st.dictionaries(short, short, max_size=4)
sha = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)
action: st.SearchStrategy[m.Action] = st.sampled_from(
    ["none", "mute", "switch_input", "switch_channel", "pip", "failed"]
)


def header() -> dict[str, Any]:
    return {"message_id": uuid7, "ts": utc_dt}


def _ordered(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = draw(utc_dt)
    return start, start + timedelta(seconds=draw(seconds))


@st.composite
def telemetry(draw: st.DrawFn) -> m.TelemetryPeriod:
    start, end = _ordered(draw)
    return m.TelemetryPeriod(
        message_id=draw(uuid7),
        ts=draw(utc_dt),
        period_start=start,
        period_end=end,
        frames_captured=draw(count),
        frames_analysed=draw(count),
        frames_dropped=draw(count),
        ad_seconds=draw(seconds),
        content_seconds=draw(seconds),
        breaks=draw(count),
        mean_confidence=draw(st.none() | prob),
    )


@st.composite
def ad_ended(draw: st.DrawFn) -> m.AdBreakEnded:
    start, end = _ordered(draw)
    return m.AdBreakEnded(
        message_id=draw(uuid7),
        ts=draw(utc_dt),
        break_id=draw(uuid_any),
        source=draw(short),
        started_at=start,
        ended_at=end,
        confidence=draw(prob),
        action=draw(action),
        controller=draw(short),
        model_version=draw(short),
    )


MESSAGES: dict[type, st.SearchStrategy[Any]] = {
    m.DeviceStatus: st.builds(
        m.DeviceStatus,
        **header(),
        state=st.sampled_from(["online", "offline"]),
        since=utc_dt,
        firmware=short,
        hardware=short,
        config_version=st.none() | count,
        reason=short,
    ),
    m.HealthReport: st.builds(
        m.HealthReport,
        **header(),
        cpu_percent=percent,
        memory_percent=percent,
        disk_percent=percent,
        temperature_c=st.none() | st.floats(min_value=-60, max_value=200, allow_nan=False),
        uptime_s=seconds,
        fps=seconds,
        inference_ms_p50=seconds,
        inference_ms_p95=seconds,
        queue_depth=count,
    ),
    m.TelemetryPeriod: telemetry(),
    m.AdBreakStarted: st.builds(
        m.AdBreakStarted,
        **header(),
        break_id=uuid_any,
        source=short,
        started_at=utc_dt,
        confidence=prob,
        action=action,
        controller=short,
        model_version=short,
    ),
    m.AdBreakEnded: ad_ended(),
    m.OtaState: st.builds(
        m.OtaState,
        **header(),
        rollout_id=short,
        step=st.sampled_from(["idle", "downloading", "succeeded", "failed", "rolled_back"]),
        firmware_version=short,
        error=st.none() | short,
    ),
    m.CommandResult: st.builds(
        m.CommandResult,
        **header(),
        command_id=uuid_any,
        ok=st.booleans(),
        detail=short,
        data=args,
    ),
    m.ProvisionRequest: st.builds(
        m.ProvisionRequest,
        **header(),
        claim=ident,
        hardware=short,
        serial=short,
        firmware=short,
    ),
    m.DesiredConfig: st.builds(
        m.DesiredConfig,
        **header(),
        version=count,
        threshold=st.none() | prob,
        health_interval_s=st.floats(min_value=1, max_value=3600),
        telemetry_interval_s=st.floats(min_value=1, max_value=3600),
        policy=st.none()
        | st.builds(
            m.BreakPolicy,
            action=st.sampled_from(["none", "mute", "switch_input", "switch_channel"]),
            min_break_s=seconds,
            ad_input=st.none() | short,
            ad_channel=st.none() | short,
        ),
    ),
    m.Command: st.builds(
        m.Command,
        **header(),
        command_id=uuid_any,
        verb=st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
        args=args,
        expires_at=st.none() | utc_dt,
    ),
    m.FirmwareManifest: st.builds(
        m.FirmwareManifest,
        **header(),
        firmware_id=short,
        version=short,
        channel=ident,
        hardware=ident,
        url=st.just("https://fw.example/adwatch.bin"),
        sha256=sha,
        size=count,
        signature=st.text(alphabet="abcdefABCDEF0123456789+/=", max_size=88),
        released_at=utc_dt,
        notes=short,
    ),
    m.ProvisionResponse: st.builds(
        m.ProvisionResponse,
        **header(),
        claim=ident,
        accepted=st.booleans(),
        tenant=st.none() | ident,
        location=st.none() | ident,
        device=st.none() | ident,
        username=st.none() | short,
        password=st.none() | short,
        broker_host=st.none() | short,
        broker_port=st.none() | st.integers(1, 65535),
        error=st.none() | short,
    ),
}

any_message = st.one_of(*MESSAGES.values())


def fixed_uuid7() -> uuid.UUID:
    return new_message_id()
