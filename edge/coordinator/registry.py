"""The venue registry as a pure state machine.

Raft replicates *commands*; every node applies them in the same order with
:func:`apply_command`, which is pure: same state + same command = same result
on every node. Commands travel as msgpack (msgspec), decoded strictly, so the
Raft log never holds pickled objects of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

Ident = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
TvId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Role(StrEnum):
    WORKER = "worker"
    COORDINATOR = "coordinator"
    UNASSIGNED = "unassigned"


class DeviceRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What the venue knows about one device."""

    device: str
    role: Role = Role.UNASSIGNED
    tv: str | None = None  # the TV this worker watches
    last_seen: datetime | None = None
    online: bool = False


class UpsertDevice(msgspec.Struct, frozen=True, kw_only=True, tag="upsert"):
    """Register a device or change its role (keeps what was seen of it)."""

    device: Ident
    role: Role


class AssignTv(msgspec.Struct, frozen=True, kw_only=True, tag="assign_tv"):
    """Say which TV a worker watches (None: none)."""

    device: Ident
    tv: TvId | None


class Sighting(msgspec.Struct, frozen=True, kw_only=True):
    device: Ident
    at: datetime
    online: bool | None = None  # None: only "seen", the online flag is unchanged


class MarkSeen(msgspec.Struct, frozen=True, kw_only=True, tag="seen"):
    """A batch of sightings (the leader batches them to keep Raft traffic low).
    Unknown devices are registered as ``unassigned``."""

    sightings: tuple[Sighting, ...]


class RemoveDevice(msgspec.Struct, frozen=True, kw_only=True, tag="remove"):
    device: Ident


Command = UpsertDevice | AssignTv | MarkSeen | RemoveDevice
Devices = Mapping[str, DeviceRecord]

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Command)


def encode_command(cmd: Command) -> bytes:
    return _encoder.encode(cmd)


def decode_command(data: bytes) -> Command:
    """Raises ``msgspec.DecodeError``/``ValidationError`` on a bad command."""
    return _decoder.decode(data)


def apply_command(devices: Devices, cmd: Command) -> tuple[dict[str, DeviceRecord], str]:
    """The next registry and a short outcome (``ok`` or why nothing changed)."""
    state = dict(devices)
    match cmd:
        case UpsertDevice(device=dev, role=role):
            old = state.get(dev) or DeviceRecord(device=dev)
            state[dev] = msgspec.structs.replace(old, role=role)
        case AssignTv(device=dev, tv=tv):
            if dev not in state:
                return state, f"unknown device {dev}"
            state[dev] = msgspec.structs.replace(state[dev], tv=tv)
        case MarkSeen(sightings=sightings):
            for s in sightings:
                state[s.device] = _seen(state.get(s.device) or DeviceRecord(device=s.device), s)
        case RemoveDevice(device=dev):
            if state.pop(dev, None) is None:
                return state, f"unknown device {dev}"
    return state, "ok"


def _seen(old: DeviceRecord, s: Sighting) -> DeviceRecord:
    # Sightings can arrive out of order (two batches, a failover): last_seen
    # only moves forward, and an older sighting never overrides the online flag.
    if old.last_seen is not None and s.at < old.last_seen:
        return old
    online = old.online if s.online is None else s.online
    return msgspec.structs.replace(old, last_seen=s.at, online=online)


def watchers_of(devices: Devices, tv: str) -> tuple[DeviceRecord, ...]:
    """The workers assigned to a TV, sorted by device id."""
    return tuple(sorted((d for d in devices.values() if d.tv == tv), key=lambda d: d.device))


def sorted_devices(devices: Devices) -> tuple[DeviceRecord, ...]:
    return tuple(devices[k] for k in sorted(devices))
