"""The registry state machine: pure, so tested without Raft."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.coordinator.registry import (
    AssignTv,
    Command,
    DeviceRecord,
    MarkSeen,
    RemoveDevice,
    Role,
    Sighting,
    UpsertDevice,
    apply_command,
    decode_command,
    encode_command,
    sorted_devices,
    watchers_of,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(*cmds: Command) -> dict[str, DeviceRecord]:
    state: dict[str, DeviceRecord] = {}
    for cmd in cmds:
        state, outcome = apply_command(state, cmd)
        assert outcome == "ok"
    return state


def test_upsert_then_assign_tv() -> None:
    state = run(
        UpsertDevice(device="w1", role=Role.WORKER), AssignTv(device="w1", tv="tv-bar-left")
    )
    assert state["w1"] == DeviceRecord(device="w1", role=Role.WORKER, tv="tv-bar-left")


def test_upsert_keeps_what_was_seen() -> None:
    state = run(
        MarkSeen(sightings=(Sighting(device="w1", at=T0, online=True),)),
        UpsertDevice(device="w1", role=Role.WORKER),
    )
    assert state["w1"].last_seen == T0 and state["w1"].online
    assert state["w1"].role is Role.WORKER


def test_sighting_registers_unknown_device_as_unassigned() -> None:
    state = run(MarkSeen(sightings=(Sighting(device="new", at=T0),)))
    assert state["new"].role is Role.UNASSIGNED and state["new"].online is False


def test_last_seen_only_moves_forward() -> None:
    later, earlier = T0 + timedelta(seconds=30), T0
    state = run(
        MarkSeen(sightings=(Sighting(device="w1", at=later, online=False),)),
        MarkSeen(sightings=(Sighting(device="w1", at=earlier, online=True),)),
    )
    assert state["w1"].last_seen == later
    assert state["w1"].online is False  # the older "online" does not win


def test_seen_without_online_flag_keeps_flag() -> None:
    state = run(
        MarkSeen(sightings=(Sighting(device="w1", at=T0, online=True),)),
        MarkSeen(sightings=(Sighting(device="w1", at=T0 + timedelta(seconds=1)),)),
    )
    assert state["w1"].online is True


def test_assign_and_remove_unknown_device_change_nothing() -> None:
    before = run(UpsertDevice(device="w1", role=Role.WORKER))
    for cmd in (AssignTv(device="ghost", tv="tv"), RemoveDevice(device="ghost")):
        after, outcome = apply_command(before, cmd)
        assert after == before
        assert outcome == "unknown device ghost"


def test_apply_does_not_mutate_its_input() -> None:
    before = run(UpsertDevice(device="w1", role=Role.WORKER))
    snapshot = dict(before)
    apply_command(before, RemoveDevice(device="w1"))
    assert before == snapshot


def test_watchers_of_tv_sorted() -> None:
    state = run(
        UpsertDevice(device="w2", role=Role.WORKER),
        UpsertDevice(device="w1", role=Role.WORKER),
        AssignTv(device="w2", tv="tv-a"),
        AssignTv(device="w1", tv="tv-a"),
    )
    assert [d.device for d in watchers_of(state, "tv-a")] == ["w1", "w2"]
    assert watchers_of(state, "tv-b") == ()
    assert [d.device for d in sorted_devices(state)] == ["w1", "w2"]


def test_command_round_trip() -> None:
    cmd = MarkSeen(sightings=(Sighting(device="w1", at=T0, online=True),))
    assert decode_command(encode_command(cmd)) == cmd


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00garbage",
        msgspec.msgpack.encode({"type": "upsert", "device": "UPPER", "role": "worker"}),
        msgspec.msgpack.encode({"type": "upsert", "device": "w1", "role": "king"}),
        msgspec.msgpack.encode({"type": "drop_table", "device": "w1"}),
    ],
)
def test_bad_commands_are_rejected(payload: bytes) -> None:
    with pytest.raises((msgspec.DecodeError, msgspec.ValidationError)):
        decode_command(payload)


devices = st.sampled_from(["a", "b", "c"])
commands = st.one_of(
    st.builds(UpsertDevice, device=devices, role=st.sampled_from(list(Role))),
    st.builds(AssignTv, device=devices, tv=st.one_of(st.none(), st.sampled_from(["t1", "t2"]))),
    st.builds(RemoveDevice, device=devices),
    st.builds(
        MarkSeen,
        sightings=st.lists(
            st.builds(
                Sighting,
                device=devices,
                at=st.integers(0, 100).map(lambda s: T0 + timedelta(seconds=s)),
                online=st.one_of(st.none(), st.booleans()),
            ),
            max_size=3,
        ).map(tuple),
    ),
)


@given(st.lists(commands, max_size=20))
def test_replicas_applying_the_same_log_agree(log: list[Command]) -> None:
    """What Raft relies on: the same (encoded) log gives the same state everywhere."""
    a: dict[str, DeviceRecord] = {}
    b: dict[str, DeviceRecord] = {}
    for cmd in log:
        a, _ = apply_command(a, cmd)
        b, _ = apply_command(b, decode_command(encode_command(cmd)))
    assert a == b
    assert all(key == rec.device for key, rec in a.items())
