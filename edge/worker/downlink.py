"""Downlink: the retained desired config and commands, decoded and validated (pure parts)."""

from __future__ import annotations

from dataclasses import replace

import structlog

from edge.policy import PolicyConfig
from schemas.codec import decode
from schemas.errors import SchemaError
from schemas.ids import utc_now
from schemas.messages import BreakPolicy, Command, CommandResult, DesiredConfig
from schemas.topics import DeviceTopic, TopicKind, parse_device_topic

log = structlog.get_logger(__name__)
VERBS = ("restart-pipeline", "snapshot-status")


def parse_downlink(topic: str, payload: bytes) -> DesiredConfig | Command | None:
    """The message on a config/cmd topic, or None (logged) when it is not usable."""
    try:
        address: DeviceTopic = parse_device_topic(topic)
        if address.kind is TopicKind.CONFIG:
            return decode(payload, DesiredConfig)
        if address.kind is TopicKind.CMD:
            return decode(payload, Command)
    except SchemaError as exc:
        log.error("downlink_rejected", topic=topic, error=str(exc))
        return None
    log.warning("downlink_unexpected_topic", topic=topic)
    return None


def merge_policy(current: PolicyConfig, desired: BreakPolicy | None) -> PolicyConfig:
    """The local policy with the fields the cloud controls replaced (normal_* stay local)."""
    if desired is None:
        return current
    return replace(
        current,
        action=desired.action,
        min_break_s=desired.min_break_s,
        ad_input=desired.ad_input if desired.ad_input is not None else current.ad_input,
        ad_channel=desired.ad_channel if desired.ad_channel is not None else current.ad_channel,
    )


def command_problem(cmd: Command) -> str | None:
    if cmd.expires_at is not None and cmd.expires_at < utc_now():
        return f"command expired at {cmd.expires_at.isoformat()}"
    if cmd.verb not in VERBS:
        return f"unknown verb {cmd.verb!r}; known: {', '.join(VERBS)}"
    return None


def result(
    cmd: Command, ok: bool, detail: str, data: dict[str, str] | None = None
) -> CommandResult:
    clipped = {k[:128]: v[:128] for k, v in (data or {}).items()}
    return CommandResult.new(command_id=cmd.command_id, ok=ok, detail=detail[:4096], data=clipped)
