"""The MQTT topic tree: the only place topic strings are built or parsed.

``adwatch/v1/{tenant}/{location}/{device}/{kind}`` for device traffic,
``adwatch/v1/{tenant}/ota/{channel}/{hardware}`` for firmware manifests and
``adwatch/v1/provision/{claim}/{request|response}`` for zero-touch provisioning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from schemas.errors import SchemaError

ROOT = "adwatch"
VERSION = "v1"
PREFIX = f"{ROOT}/{VERSION}"
# A location called "ota" or a tenant called "provision" would make topics ambiguous.
RESERVED_LOCATIONS = frozenset({"ota"})
RESERVED_TENANTS = frozenset({"provision"})
MAX_TOPIC_BYTES = 512

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class TopicKind(StrEnum):
    STATUS = "status"
    HEALTH = "health"
    TELEMETRY = "telemetry"
    AD_EVENTS = "events/ad"
    OTA_STATE = "ota/state"
    CONFIG = "config"
    CMD = "cmd"
    CMD_RESULT = "cmd/result"

    @property
    def uplink(self) -> bool:
        return self not in (TopicKind.CONFIG, TopicKind.CMD)


UPLINK_KINDS = tuple(k for k in TopicKind if k.uplink)
DOWNLINK_KINDS = tuple(k for k in TopicKind if not k.uplink)
_KIND_BY_TEXT = {k.value: k for k in TopicKind}


def check_id(value: object, what: str) -> str:
    """Return ``value`` if it is a valid tenant/location/device/claim id, else SchemaError."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise SchemaError("bad_topic", f"{what} {value!r} must match [a-z0-9][a-z0-9-]{{0,62}}")
    return value


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    tenant: str
    location: str
    device: str
    kind: TopicKind

    def __post_init__(self) -> None:
        check_id(self.tenant, "tenant")
        check_id(self.location, "location")
        check_id(self.device, "device")
        if self.tenant in RESERVED_TENANTS:
            raise SchemaError("bad_topic", f"tenant {self.tenant!r} is reserved")
        if self.location in RESERVED_LOCATIONS:
            raise SchemaError("bad_topic", f"location {self.location!r} is reserved")
        if not isinstance(self.kind, TopicKind):
            raise SchemaError("bad_topic", f"kind {self.kind!r} is not a TopicKind")

    @property
    def topic(self) -> str:
        return f"{PREFIX}/{self.tenant}/{self.location}/{self.device}/{self.kind.value}"


@dataclass(frozen=True, slots=True)
class OtaTopic:
    tenant: str
    channel: str
    hardware: str

    def __post_init__(self) -> None:
        check_id(self.tenant, "tenant")
        check_id(self.channel, "channel")
        check_id(self.hardware, "hardware")
        if self.tenant in RESERVED_TENANTS:
            raise SchemaError("bad_topic", f"tenant {self.tenant!r} is reserved")

    @property
    def topic(self) -> str:
        return f"{PREFIX}/{self.tenant}/ota/{self.channel}/{self.hardware}"


@dataclass(frozen=True, slots=True)
class ProvisionTopic:
    claim: str
    direction: Literal["request", "response"]

    def __post_init__(self) -> None:
        check_id(self.claim, "claim")
        if self.direction not in ("request", "response"):
            raise SchemaError("bad_topic", f"direction {self.direction!r}")

    @property
    def topic(self) -> str:
        return f"{PREFIX}/provision/{self.claim}/{self.direction}"


Address = DeviceTopic | OtaTopic | ProvisionTopic


def device_topic(tenant: str, location: str, device: str, kind: TopicKind | str) -> str:
    return DeviceTopic(tenant, location, device, _kind(kind)).topic


def ota_topic(tenant: str, channel: str, hardware: str) -> str:
    return OtaTopic(tenant, channel, hardware).topic


def provision_topic(claim: str, direction: Literal["request", "response"]) -> str:
    return ProvisionTopic(claim, direction).topic


def _kind(kind: TopicKind | str) -> TopicKind:
    if isinstance(kind, TopicKind):
        return kind
    found = _KIND_BY_TEXT.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise SchemaError("bad_topic", f"unknown topic kind {kind!r}")
    return found


def parse_topic(topic: object) -> Address:
    """Parse a concrete (wildcard-free) topic into a typed address, or raise SchemaError."""
    if not isinstance(topic, str):
        raise SchemaError("bad_topic", f"topic must be str, not {type(topic).__name__}")
    if len(topic.encode("utf-8", "surrogatepass")) > MAX_TOPIC_BYTES:
        raise SchemaError("bad_topic", f"topic longer than {MAX_TOPIC_BYTES} bytes")
    if "\x00" in topic or "+" in topic or "#" in topic:
        raise SchemaError("bad_topic", f"topic {topic!r} holds a wildcard or NUL")
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != ROOT or parts[1] != VERSION:
        raise SchemaError("bad_topic", f"topic {topic!r} is not under {PREFIX}/")
    rest = parts[2:]
    if rest[0] == "provision":
        if len(rest) == 3 and rest[2] in ("request", "response"):
            direction: Literal["request", "response"] = (
                "request" if rest[2] == "request" else "response"
            )
            return ProvisionTopic(rest[1], direction)
        raise SchemaError("bad_topic", f"bad provisioning topic {topic!r}")
    if len(rest) == 4 and rest[1] == "ota":
        return OtaTopic(rest[0], rest[2], rest[3])
    if len(rest) >= 4:
        return DeviceTopic(rest[0], rest[1], rest[2], _kind("/".join(rest[3:])))
    raise SchemaError("bad_topic", f"topic {topic!r} has the wrong number of levels")


def parse_device_topic(topic: object) -> DeviceTopic:
    address = parse_topic(topic)
    if not isinstance(address, DeviceTopic):
        raise SchemaError("bad_topic", f"{topic!r} is not a device topic")
    return address


# ------------------------------------------------------------------ filters

Wild = Literal["+"]


def _level(value: str, what: str) -> str:
    return value if value == "+" else check_id(value, what)


def device_filter(
    tenant: str = "+", location: str = "+", device: str = "+", kind: TopicKind | str = "#"
) -> str:
    """A subscription filter over device topics; ``+`` at any id level, ``#`` for all kinds."""
    tail = "#" if kind == "#" else _kind(kind).value
    return (
        f"{PREFIX}/{_level(tenant, 'tenant')}/{_level(location, 'location')}/"
        f"{_level(device, 'device')}/{tail}"
    )


def uplink_filters(tenant: str = "+", location: str = "+") -> list[str]:
    """One filter per uplink kind (what a bridge or connector subscribes to)."""
    return [device_filter(tenant, location, "+", kind) for kind in UPLINK_KINDS]


def downlink_filters(tenant: str, location: str = "+", device: str = "+") -> list[str]:
    return [device_filter(tenant, location, device, kind) for kind in DOWNLINK_KINDS]


def ota_filter(tenant: str = "+") -> str:
    return f"{PREFIX}/{_level(tenant, 'tenant')}/ota/+/+"


def shared(group: str, topic_filter: str) -> str:
    """An MQTT 5 shared subscription: N subscribers in ``group`` split the messages."""
    check_id(group, "share group")
    return f"$share/{group}/{topic_filter}"
