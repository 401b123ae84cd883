"""Hot-state decisions (pure): what a batch changes, and the online rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloud.state.keys import (
    DeviceRef,
    StateSettings,
    fleet_member,
    health_key,
    is_online,
    online_cutoff,
    online_key,
    plan_update,
    tenant_member,
)
from schemas.kafka import IngestRecord
from schemas.messages import DeviceStatus, Message
from schemas.topics import TopicKind
from tests.support.messages import health_report

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DEV = DeviceRef("acme", "store-1", "dev-1")


def _record(payload: Message, kind: TopicKind, at: float) -> IngestRecord:
    return IngestRecord(
        tenant="acme",
        location="store-1",
        device="dev-1",
        kind=kind,
        received_at=T0 + timedelta(seconds=at),
        payload=payload,
    )


def _health(at: float) -> IngestRecord:
    return _record(
        health_report(uptime_s=at),
        TopicKind.HEALTH,
        at,
    )


def _status(state: str, at: float) -> IngestRecord:
    # A Last Will's ts is from connect time: far older than its receive time.
    msg = DeviceStatus.new(ts=T0 - timedelta(hours=1), state=state, since=T0, firmware="1")
    return _record(msg, TopicKind.STATUS, at)


def test_last_seen_is_the_latest_receive_time_and_newest_health_wins() -> None:
    update = plan_update([_health(5), _health(2), _status("online", 1)])
    assert update.seen == {DEV: (T0 + timedelta(seconds=5)).timestamp()}
    assert update.health[DEV].received_at == T0 + timedelta(seconds=5)
    assert not update.offline


def test_offline_status_is_ordered_by_receive_time_not_device_time() -> None:
    update = plan_update([_health(1), _status("offline", 3)])
    assert update.offline == {DEV: (T0 + timedelta(seconds=3)).timestamp()}
    assert not is_online(update.seen.get(DEV), update.offline.get(DEV))
    again = plan_update([_status("offline", 3), _health(4)])
    assert is_online(again.seen.get(DEV), again.offline.get(DEV))


def test_online_rule() -> None:
    assert is_online(10.0, None)
    assert is_online(10.0, 9.0)
    assert not is_online(10.0, 10.0)
    assert not is_online(None, 1.0)


def test_empty_batch_changes_nothing() -> None:
    assert not plan_update([])


def test_key_names_follow_the_documented_layout() -> None:
    assert health_key("p", "acme", "dev-1") == "p:health:acme:dev-1"
    assert online_key("p") == "p:online"
    assert online_key("p", "acme") == "p:online:acme"
    assert tenant_member("store-1", "dev-1") == "store-1/dev-1"
    assert fleet_member("acme", "store-1", "dev-1") == "acme/store-1/dev-1"


def test_cutoff_is_now_minus_ttl() -> None:
    assert online_cutoff(1000.0, StateSettings(online_ttl_s=90)) == 910.0
