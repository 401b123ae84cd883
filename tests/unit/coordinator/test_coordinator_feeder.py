"""The registry feeder's pure parts: what an uplink says about its device."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from edge.coordinator.feeder import commands_for, merge, sighting_from
from edge.coordinator.registry import DeviceRecord, MarkSeen, Role, Sighting, UpsertDevice
from schemas.codec import encode
from schemas.messages import DeviceStatus, HealthReport
from schemas.topics import TopicKind, device_topic

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def status(state: Literal["online", "offline"], ts: datetime) -> bytes:
    return encode(DeviceStatus.new(state=state, since=ts, firmware="1.0", ts=ts))


def health(ts: datetime) -> bytes:
    msg = HealthReport.new(
        cpu_percent=1.0,
        memory_percent=1.0,
        disk_percent=1.0,
        uptime_s=1.0,
        fps=25.0,
        inference_ms_p50=1.0,
        inference_ms_p95=1.0,
        queue_depth=0,
        ts=ts,
    )
    return encode(msg)


def topic(device: str, kind: TopicKind) -> str:
    return device_topic("acme", "bar-1", device, kind)


def test_status_says_online_or_offline() -> None:
    s = sighting_from(topic("w1", TopicKind.STATUS), status("offline", NOW), NOW)
    assert s == Sighting(device="w1", at=NOW, online=False)


def test_other_uplinks_only_say_seen() -> None:
    s = sighting_from(topic("w1", TopicKind.HEALTH), health(NOW), NOW)
    assert s == Sighting(device="w1", at=NOW, online=None)


def test_retained_status_counts_at_its_own_time() -> None:
    old = NOW - timedelta(hours=3)
    s = sighting_from(topic("w1", TopicKind.STATUS), status("online", old), NOW)
    assert s is not None and s.at == old


def test_device_clock_ahead_does_not_move_last_seen_into_the_future() -> None:
    s = sighting_from(topic("w1", TopicKind.HEALTH), health(NOW + timedelta(hours=1)), NOW)
    assert s is not None and s.at == NOW


def test_garbage_and_downlinks_are_ignored() -> None:
    assert sighting_from(topic("w1", TopicKind.HEALTH), b"{not json", NOW) is None
    assert sighting_from("not/our/tree", health(NOW), NOW) is None
    assert sighting_from(topic("w1", TopicKind.CONFIG), health(NOW), NOW) is None


def test_merge_keeps_newest_and_its_online_flag() -> None:
    pending: dict[str, Sighting] = {}
    merge(pending, Sighting(device="w1", at=NOW, online=True))
    merge(pending, Sighting(device="w1", at=NOW + timedelta(seconds=5)))
    assert pending["w1"] == Sighting(device="w1", at=NOW + timedelta(seconds=5), online=True)
    merge(pending, Sighting(device="w1", at=NOW - timedelta(seconds=5), online=False))
    assert pending["w1"].at == NOW + timedelta(seconds=5) and pending["w1"].online is True


def test_unknown_publishers_become_workers_known_roles_stay() -> None:
    pending = {
        "w1": Sighting(device="w1", at=NOW),
        "c1": Sighting(device="c1", at=NOW),
        "u1": Sighting(device="u1", at=NOW),
    }
    known = {
        "c1": DeviceRecord(device="c1", role=Role.COORDINATOR),
        "u1": DeviceRecord(device="u1", role=Role.UNASSIGNED),
    }
    cmds = commands_for(pending, known)
    assert cmds[:2] == [
        UpsertDevice(device="u1", role=Role.WORKER),
        UpsertDevice(device="w1", role=Role.WORKER),
    ]
    assert cmds[2] == MarkSeen(sightings=tuple(pending[d] for d in ("c1", "u1", "w1")))
    assert commands_for({}, known) == []
