"""Every MQTT payload of the contract as a frozen, tagged msgspec Struct.

All messages share a header: ``schema_version``, ``message_id`` (a UUIDv7, the
idempotency key from the device to the database) and ``ts`` (the sender's clock,
UTC). The ``type`` tag names the message, so one decoder reads them all.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, Self

import msgspec

from schemas.ids import new_message_id, utc_now

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

Ident = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)]
Short = Annotated[str, msgspec.Meta(max_length=128)]
Text = Annotated[str, msgspec.Meta(max_length=4096)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Seconds = Annotated[float, msgspec.Meta(ge=0.0, le=1e9)]
Percent = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Celsius = Annotated[float, msgspec.Meta(ge=-60.0, le=200.0)]
Sha256Hex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Verb = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
Args = Annotated[dict[Short, Short], msgspec.Meta(max_length=32)]

# Marker the codec uses to classify a failed __post_init__ check.
NOT_UTC = "timestamp must be UTC-aware"
_ZERO = timedelta(0)


class _Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    schema_version: int = SCHEMA_VERSION
    message_id: uuid.UUID
    ts: datetime

    uplink: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.message_id.version != 7 or self.message_id.variant != uuid.RFC_4122:
            raise ValueError("message_id must be a UUIDv7")
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime) and value.utcoffset() != _ZERO:
                raise ValueError(f"{NOT_UTC}: `{name}` is {value.isoformat()}")

    @classmethod
    def new(cls, **fields: Any) -> Self:
        """Build a message with a fresh UUIDv7 and the current UTC time."""
        fields.setdefault("message_id", new_message_id())
        fields.setdefault("ts", utc_now())
        return cls(**fields)


def _check_order(start: datetime, end: datetime, what: str) -> None:
    if end < start:
        raise ValueError(f"{what}: end is before start")


# ---------------------------------------------------------------- uplink


class DeviceStatus(_Message, frozen=True, kw_only=True, tag="status"):
    """Retained; also the Last Will (state=offline)."""

    state: Literal["online", "offline"]
    since: datetime
    firmware: Short
    hardware: Short = ""
    config_version: Count | None = None
    reason: Short = ""


class HealthReport(_Message, frozen=True, kw_only=True, tag="health"):
    cpu_percent: Percent
    memory_percent: Percent
    disk_percent: Percent
    temperature_c: Celsius | None = None
    uptime_s: Seconds
    fps: Seconds
    inference_ms_p50: Seconds
    inference_ms_p95: Seconds
    queue_depth: Count


class TelemetryPeriod(_Message, frozen=True, kw_only=True, tag="telemetry"):
    period_start: datetime
    period_end: datetime
    frames_captured: Count
    frames_analysed: Count
    frames_dropped: Count
    ad_seconds: Seconds
    content_seconds: Seconds
    breaks: Count
    mean_confidence: Probability | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_order(self.period_start, self.period_end, "period")


Action = Literal["none", "mute", "switch_input", "switch_channel", "pip", "failed"]


class AdBreakStarted(_Message, frozen=True, kw_only=True, tag="ad_break_started"):
    break_id: uuid.UUID
    source: Short
    started_at: datetime
    confidence: Probability
    action: Action
    controller: Short = ""
    model_version: Short


class AdBreakEnded(_Message, frozen=True, kw_only=True, tag="ad_break_ended"):
    """``started_at`` here is the corrected start, decided with hindsight."""

    break_id: uuid.UUID
    source: Short
    started_at: datetime
    ended_at: datetime
    confidence: Probability
    action: Action
    controller: Short = ""
    model_version: Short

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_order(self.started_at, self.ended_at, "break")


OtaStep = Literal[
    "idle",
    "downloading",
    "verifying",
    "installing",
    "rebooting",
    "succeeded",
    "failed",
    "rolled_back",
]


class OtaState(_Message, frozen=True, kw_only=True, tag="ota_state"):
    rollout_id: Short
    step: OtaStep
    firmware_version: Short
    error: Text | None = None


class CommandResult(_Message, frozen=True, kw_only=True, tag="cmd_result"):
    command_id: uuid.UUID
    ok: bool
    detail: Text = ""
    data: Args = msgspec.field(default_factory=dict)


class ProvisionRequest(_Message, frozen=True, kw_only=True, tag="provision_request"):
    claim: Ident
    hardware: Short
    serial: Short
    firmware: Short


# ---------------------------------------------------------------- downlink


class BreakPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a worker does to its TV during a break."""

    action: Literal["none", "mute", "switch_input", "switch_channel"] = "mute"
    min_break_s: Seconds = 0.0
    ad_input: Short | None = None
    ad_channel: Short | None = None


class DesiredConfig(_Message, frozen=True, kw_only=True, tag="config"):
    """Retained desired configuration; ``version`` is reported back in the status."""

    uplink: ClassVar[bool] = False

    version: Count
    threshold: Probability | None = None
    health_interval_s: Annotated[float, msgspec.Meta(ge=1.0, le=86400.0)] = 30.0
    telemetry_interval_s: Annotated[float, msgspec.Meta(ge=1.0, le=86400.0)] = 60.0
    policy: BreakPolicy | None = None


class Command(_Message, frozen=True, kw_only=True, tag="cmd"):
    uplink: ClassVar[bool] = False

    command_id: uuid.UUID
    verb: Verb
    args: Args = msgspec.field(default_factory=dict)
    expires_at: datetime | None = None


class FirmwareManifest(_Message, frozen=True, kw_only=True, tag="firmware_manifest"):
    """Retained on ``adwatch/v1/{tenant}/ota/{channel}/{hardware}``; signed (Ed25519)."""

    uplink: ClassVar[bool] = False

    firmware_id: Short
    version: Short
    channel: Ident
    hardware: Ident
    url: Annotated[str, msgspec.Meta(max_length=2048)]
    sha256: Sha256Hex
    size: Count
    signature: Annotated[str, msgspec.Meta(max_length=1024)]
    released_at: datetime
    notes: Text = ""


class ProvisionResponse(_Message, frozen=True, kw_only=True, tag="provision_response"):
    uplink: ClassVar[bool] = False

    claim: Ident
    accepted: bool
    tenant: Ident | None = None
    location: Ident | None = None
    device: Ident | None = None
    username: Short | None = None
    password: Short | None = None
    broker_host: Short | None = None
    broker_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] | None = None
    error: Text | None = None


Message = (
    DeviceStatus
    | HealthReport
    | TelemetryPeriod
    | AdBreakStarted
    | AdBreakEnded
    | OtaState
    | CommandResult
    | ProvisionRequest
    | DesiredConfig
    | Command
    | FirmwareManifest
    | ProvisionResponse
)

ALL_MESSAGES: tuple[type[_Message], ...] = (
    DeviceStatus,
    HealthReport,
    TelemetryPeriod,
    AdBreakStarted,
    AdBreakEnded,
    OtaState,
    CommandResult,
    ProvisionRequest,
    DesiredConfig,
    Command,
    FirmwareManifest,
    ProvisionResponse,
)


def tag_of(cls: type[_Message]) -> str:
    tag = cls.__struct_config__.tag
    assert isinstance(tag, str)
    return tag
