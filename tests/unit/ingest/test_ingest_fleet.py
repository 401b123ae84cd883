"""The simulator's traffic is schema-valid and realistic (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from edge.simulate.fleet import FleetShape, Traffic, build_fleet
from schemas.codec import encode
from schemas.kafka import make_ingest_record
from schemas.messages import AdBreakEnded, AdBreakStarted, DeviceStatus


def test_fleet_spreads_devices_over_tenants_and_locations() -> None:
    fleet = build_fleet(FleetShape(devices=12, tenants=3, locations=2, prefix="s"))
    assert len({d.device for d in fleet}) == 12
    assert len({d.tenant for d in fleet}) == 3
    assert len({(d.tenant, d.location) for d in fleet}) == 6


def test_every_message_passes_the_connector_validation() -> None:
    fleet = build_fleet(FleetShape(devices=5, prefix="s"))
    traffic = Traffic(random.Random(1))
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    kinds = set()
    for i in range(400):
        dev = fleet[i % 5]
        kind, msg = traffic.online(dev, now) if i < 5 else traffic.next(dev, now)
        record = make_ingest_record(dev.topic(kind), encode(msg), now)
        assert record.payload == msg
        kinds.add(type(msg).__name__)
        now += timedelta(milliseconds=100)
    assert kinds == {
        "DeviceStatus",
        "HealthReport",
        "TelemetryPeriod",
        "AdBreakStarted",
        "AdBreakEnded",
    }


def test_ad_breaks_come_in_started_ended_pairs_of_plausible_length() -> None:
    fleet = build_fleet(FleetShape(devices=1, prefix="s"))
    traffic = Traffic(random.Random(2))
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    open_break: AdBreakStarted | None = None
    ended = 0
    for _ in range(500):
        _, msg = traffic.next(fleet[0], now)
        now += timedelta(seconds=1)
        if isinstance(msg, AdBreakStarted):
            assert open_break is None
            open_break = msg
        elif isinstance(msg, AdBreakEnded):
            assert open_break is not None and msg.break_id == open_break.break_id
            assert 30 <= (msg.ended_at - msg.started_at).total_seconds() <= 245
            open_break = None
            ended += 1
    assert ended > 10


def test_offline_status_says_why() -> None:
    dev = build_fleet(FleetShape(devices=1, prefix="s"))[0]
    _, msg = Traffic(random.Random(0)).offline(dev, datetime.now(UTC))
    assert isinstance(msg, DeviceStatus) and msg.state == "offline" and msg.reason
