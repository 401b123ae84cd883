"""The venue's topic ACL as pure functions (the amqtt plugin and the Mosquitto ACL file share it).

Roles
- **device** (any user not listed as a bridge user; its user name is its device id):
  publishes only uplink kinds under ``adwatch/v1/{tenant}/{location}/{user}/``;
  subscribes only to its own downlinks (``config``, ``cmd``), its venue's config
  (``adwatch/v1/{tenant}/{location}/+/config``) and its tenant's OTA manifests.
- **bridge** (the coordinator/bridge user): publishes and subscribes anywhere under
  ``adwatch/v1/{tenant}/``.
A subscription is allowed only when *one* allowed filter covers every topic the
requested filter can match (so ``#`` or ``adwatch/v1/+/...`` are refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from schemas.errors import SchemaError
from schemas.topics import (
    PREFIX,
    DeviceTopic,
    TopicKind,
    check_id,
    device_filter,
    downlink_filters,
    ota_filter,
    parse_topic,
)


class Role(StrEnum):
    DEVICE = "device"
    BRIDGE = "bridge"


@dataclass(frozen=True, slots=True)
class AclPolicy:
    tenant: str
    location: str
    bridge_users: frozenset[str] = frozenset()

    def role(self, user: str) -> Role:
        return Role.BRIDGE if user in self.bridge_users else Role.DEVICE

    def can_publish(self, user: str | None, topic: str) -> bool:
        if user is None:
            return False
        if self.role(user) is Role.BRIDGE:
            return topic.startswith(f"{PREFIX}/{self.tenant}/") and _is_topic(topic)
        try:
            address = parse_topic(topic)
        except SchemaError:
            return False
        return (
            isinstance(address, DeviceTopic)
            and address.kind.uplink
            and (address.tenant, address.location, address.device)
            == (self.tenant, self.location, user)
        )

    def can_subscribe(self, user: str | None, topic_filter: str) -> bool:
        if user is None:
            return False
        return any(filter_covers(a, topic_filter) for a in self.subscribe_filters(user))

    def subscribe_filters(self, user: str) -> list[str]:
        """The filters ``user`` may subscribe to (or to any narrower filter)."""
        if self.role(user) is Role.BRIDGE:
            return [f"{PREFIX}/{self.tenant}/#"]
        try:
            check_id(user, "device")
        except SchemaError:
            return []  # a user name that is no device id gets nothing
        return [
            *downlink_filters(self.tenant, self.location, user),
            device_filter(self.tenant, self.location, "+", TopicKind.CONFIG),
            ota_filter(self.tenant),
        ]


def filter_covers(allowed: str, requested: str) -> bool:
    """True when every topic matched by ``requested`` is matched by ``allowed``."""
    a_levels = allowed.split("/")
    r_levels = requested.split("/")
    for i, a in enumerate(a_levels):
        if a == "#":
            return True
        if i >= len(r_levels):
            return False
        r = r_levels[i]
        if r == "#":
            return False
        if a == "+":
            continue
        if r != a:  # a literal level: "+" requested, or another literal, escapes it
            return False
    return len(r_levels) == len(a_levels)


def _is_topic(topic: str) -> bool:
    return "+" not in topic and "#" not in topic and "\x00" not in topic
