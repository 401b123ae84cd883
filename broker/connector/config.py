"""Connector settings: one typed tree, from a TOML file, then environment, then flags."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec

from broker.connector.errors import ConnectorConfigError

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]


class MqttSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: Port = 1883
    username: str | None = None
    password: str | None = None
    client_id: str = "adwatch-connector-1"
    """Stable across restarts: the broker keeps un-acknowledged messages for this session."""
    share_group: str = "ingest"
    session_expiry_s: Positive = 3600
    receive_maximum: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 1000
    """How many un-acknowledged messages the broker may send us: the in-flight bound."""
    keepalive_s: Positive = 30


class KafkaSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    """Prepended to every ``schemas.kafka`` topic name (test isolation, multi-env clusters)."""
    linger_ms: Annotated[int, msgspec.Meta(ge=0)] = 20
    request_timeout_ms: Positive = 30000
    partitions: Positive = 6
    """Partitions for topics the connector creates at start-up if they are missing."""


class ConnectorSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    mqtt: MqttSettings = msgspec.field(default_factory=MqttSettings)
    kafka: KafkaSettings = msgspec.field(default_factory=KafkaSettings)
    metrics_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    """Serve Prometheus metrics on this port (0 = off)."""
    max_dead_letter_raw: Positive = 256 * 1024
    """Raw bytes kept in a dead letter; longer payloads are truncated (and say so)."""
    log_level: str = "info"


# Environment variable -> (section, key). The stack writes the first three.
ENV_KEYS: dict[str, tuple[str | None, str]] = {
    "ADWATCH_MQTT_HOST": ("mqtt", "host"),
    "ADWATCH_MQTT_PORT": ("mqtt", "port"),
    "ADWATCH_KAFKA_BOOTSTRAP": ("kafka", "bootstrap"),
    "ADWATCH_MQTT_USERNAME": ("mqtt", "username"),
    "ADWATCH_MQTT_PASSWORD": ("mqtt", "password"),
    "ADWATCH_CONNECTOR_CLIENT_ID": ("mqtt", "client_id"),
    "ADWATCH_KAFKA_TOPIC_PREFIX": ("kafka", "topic_prefix"),
    "ADWATCH_CONNECTOR_METRICS_PORT": (None, "metrics_port"),
}


def _set(tree: dict[str, Any], section: str | None, key: str, value: object) -> None:
    target = tree if section is None else tree.setdefault(section, {})
    target[key] = value


def load_settings(
    path: Path | None, env: Mapping[str, str], overrides: Mapping[tuple[str | None, str], object]
) -> ConnectorSettings:
    """Merge file < environment < command-line overrides; unknown keys are errors."""
    tree: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConnectorConfigError(f"cannot read {path}: {exc}") from exc
        tree = dict(raw.get("connector", raw))
    for name, (section, key) in ENV_KEYS.items():
        if name in env:
            _set(tree, section, key, env[name])
    for (section, key), value in overrides.items():
        if value is not None:
            _set(tree, section, key, value)
    try:
        return msgspec.convert(tree, ConnectorSettings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConnectorConfigError(f"bad connector settings: {exc}") from exc


def environ() -> Mapping[str, str]:
    return os.environ
