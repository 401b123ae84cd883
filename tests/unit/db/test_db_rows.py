"""Pure mapping of ingest records to rows and device touches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from cloud.db.rows import COLUMNS, HEADER, plan, status_key
from cloud.db.sink import INSERT_SQL, statements
from schemas.kafka import IngestRecord
from schemas.messages import (
    AdBreakEnded,
    AdBreakStarted,
    CommandResult,
    DesiredConfig,
    DeviceStatus,
    HealthReport,
    OtaState,
    TelemetryPeriod,
)
from schemas.topics import TopicKind

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def rec(msg: object, device: str = "tv-1", received: datetime | None = None) -> IngestRecord:
    ts = msg.ts  # type: ignore[attr-defined]
    return IngestRecord(tenant="acme", location="hall", device=device, kind=TopicKind.HEALTH,
                        received_at=received or ts, payload=msg)  # type: ignore[arg-type]  # fmt: skip


def health(ts: datetime) -> HealthReport:
    return HealthReport.new(
        ts=ts, cpu_percent=1, memory_percent=2, disk_percent=3, uptime_s=4, fps=5,
        inference_ms_p50=6, inference_ms_p95=7, queue_depth=8,
    )  # fmt: skip


def status(state: str, ts: datetime, firmware: str = "1.0", cv: int | None = 3) -> DeviceStatus:
    return DeviceStatus.new(ts=ts, state=state, since=ts, firmware=firmware, hardware="rpi5",
                            config_version=cv)  # fmt: skip


def test_every_uplink_type_maps_to_its_table_with_all_columns() -> None:
    bid = uuid.uuid4()
    msgs = [
        health(T0),
        TelemetryPeriod.new(ts=T0, period_start=T0 - M, period_end=T0, frames_captured=1,
                            frames_analysed=1, frames_dropped=0, ad_seconds=1.0,
                            content_seconds=59.0, breaks=0),
        AdBreakStarted.new(ts=T0, break_id=bid, source="bbc", started_at=T0, confidence=0.9,
                           action="mute", model_version="m"),
        AdBreakEnded.new(ts=T0 + M, break_id=bid, source="bbc", started_at=T0, ended_at=T0 + M,
                         confidence=0.9, action="mute", model_version="m"),
        status("online", T0),
        OtaState.new(ts=T0, rollout_id="r1", step="verifying", firmware_version="2.0"),
        CommandResult.new(ts=T0, command_id=uuid.uuid4(), ok=True, data={"k": "v"}),
    ]  # fmt: skip
    batch = plan([rec(m) for m in msgs])
    assert sorted(batch.rows) == sorted(COLUMNS)
    for table, rows in batch.rows.items():
        for row in rows:
            assert len(row) == len(HEADER) + len(COLUMNS[table][0])
    ended = batch.rows["ad_events"][1]
    assert ended[len(HEADER)] == "ended" and ended[len(HEADER) + 5] == 60.0  # duration_s
    assert batch.rows["telemetry"][0][1] == T0  # time = period_end
    assert batch.rows["command_results"][0][-1] == '{"k":"v"}'
    assert len(batch.touches) == 1 and batch.ignored == 0


def test_downlink_messages_are_ignored() -> None:
    batch = plan([rec(DesiredConfig.new(ts=T0, version=1))])
    assert batch.rows == {} and batch.touches == [] and batch.ignored == 1
    assert list(statements(batch)) == []


def test_one_touch_per_device_with_newest_last_seen_and_location() -> None:
    r1 = rec(health(T0 + 2 * M))
    r2 = IngestRecord(tenant="acme", location="moved", device="tv-1", kind=TopicKind.HEALTH,
                      received_at=T0, payload=health(T0 + 5 * M))  # fmt: skip
    batch = plan([r2, r1, rec(health(T0), device="tv-2")])
    touches = {t.device: t for t in batch.touches}
    assert touches["tv-1"].last_seen == T0 + 5 * M and touches["tv-1"].location == "moved"
    assert touches["tv-2"].status == "online" and touches["tv-2"].status_since is None


def test_last_will_orders_by_receive_time() -> None:
    lwt = status("offline", T0)  # composed at connect time
    assert status_key(rec(lwt, received=T0 + 10 * M)) == T0 + 10 * M
    assert status_key(rec(status("online", T0), received=T0 + 10 * M)) == T0
    batch = plan([rec(health(T0 + 5 * M)), rec(lwt, received=T0 + 10 * M)])
    (touch,) = batch.touches
    assert touch.status == "offline" and touch.status_key == T0 + 10 * M


def test_older_evidence_does_not_change_status_but_keeps_firmware() -> None:
    batch = plan([rec(status("online", T0 + M, "2.0")), rec(status("offline", T0, "", None))])
    (touch,) = batch.touches
    assert touch.status == "online" and touch.firmware == "2.0" and touch.config_version == 3
    # The newest status without a config version keeps the earlier one's.
    batch = plan([rec(status("online", T0)), rec(status("online", T0 + M, "2.1", None))])
    (touch,) = batch.touches
    assert touch.firmware == "2.1" and touch.config_version == 3


def test_insert_statements_are_constant_and_ordered() -> None:
    batch = plan([rec(health(T0)), rec(status("online", T0))])
    stmts = list(statements(batch))
    tables = [t for t, _sql, _p in stmts if t is not None]
    assert tables == ["device_health", "device_status_events"]
    for table, sql, params in stmts:
        assert sql.count("%s") == len(params)
        if table is not None:
            assert sql == INSERT_SQL[table] and "ON CONFLICT (message_id, time) DO NOTHING" in sql


def test_online_period_starts_at_the_status_even_when_it_comes_late_in_the_batch() -> None:
    batch = plan([rec(health(T0 + 5 * M)), rec(status("online", T0))])
    (touch,) = batch.touches
    assert touch.status == "online" and touch.status_since == T0
    assert touch.status_key == T0 + 5 * M
