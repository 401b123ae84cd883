"""Pure decisions of the bridge: reconnect delays, what to send next, retain flags."""

from __future__ import annotations

import random
from collections.abc import Callable

from schemas.errors import SchemaError
from schemas.topics import DeviceTopic, OtaTopic, TopicKind, parse_topic


def backoff_delay(
    attempt: int, initial: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped.

    attempt 0 -> [initial/2, initial], attempt n -> [d/2, d] with d = min(cap, initial*2^n).
    The random half spreads the reconnects of many venues after a cloud outage.
    """
    ceiling = min(cap, initial * (2 ** min(attempt, 32)))
    return float(ceiling / 2 + rand() * ceiling / 2)


def split_window(room: int, live_share: float, backlog_left: bool) -> tuple[int, int]:
    """How many (backlog, live) messages to send into ``room`` free slots.

    While a backlog from before the reconnect remains, ``live_share`` of the room
    (at least one slot) goes to messages that arrived since, so live traffic is never
    stuck behind an hour of backlog; the rest drains the backlog oldest-first.
    """
    if room <= 0:
        return 0, 0
    if not backlog_left:
        return 0, room
    live = max(1, int(room * live_share)) if live_share > 0 else 0
    live = min(live, room)
    return room - live, live


RETAINED_KINDS = frozenset({TopicKind.STATUS, TopicKind.CONFIG})


def retain_flag(topic: str, retain_flag: bool) -> bool:
    """Retain flag to forward a message with, to the cloud or to the venue broker.

    MQTT 3.1.1 clears the retain flag when a broker forwards a message to an existing
    subscription, so a live status change or config update reaches the bridge
    un-retained. The contract says status, config and OTA manifests are retained,
    so those are forwarded retained.
    """
    if retain_flag:
        return True
    try:
        address = parse_topic(topic)
    except SchemaError:
        return False
    if isinstance(address, OtaTopic):
        return True
    return isinstance(address, DeviceTopic) and address.kind in RETAINED_KINDS
