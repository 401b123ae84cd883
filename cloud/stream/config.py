"""Stream worker settings: one typed tree from a TOML file, then environment, then flags."""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec

from cloud.state.keys import DEFAULT_PREFIX, StateSettings
from cloud.stream.errors import StreamConfigError

Positive = Annotated[int, msgspec.Meta(ge=1)]
PositiveF = Annotated[float, msgspec.Meta(gt=0)]


def _instance() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class StreamSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    """Prepended to every ``schemas.kafka`` topic name (must match the connector's)."""
    app_id: str = "adwatch-ingest"
    """Faust app id = Kafka consumer group."""
    data_dir: str = "run/stream"
    """Faust's own state directory."""
    pg_dsn: str = "postgresql://adwatch:adwatch@127.0.0.1:5432/adwatch"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = DEFAULT_PREFIX
    online_ttl_s: PositiveF = 90.0
    health_ttl_s: PositiveF = 300.0
    batch_size: Positive = 1000
    batch_within_s: PositiveF = 0.25
    session_timeout_s: PositiveF = 10.0
    """Kafka consumer-group session timeout: how soon a crashed worker's partitions move."""
    partitions: Positive = 6
    """Partitions for ingest topics created at start-up if missing."""
    metrics_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    """Serve Prometheus metrics on this port (0 = off)."""
    metrics_interval_s: PositiveF = 10.0
    """How often pipeline samples are appended to ``pipeline_metrics``."""
    instance: str = msgspec.field(default_factory=_instance)
    log_level: str = "info"

    @property
    def state(self) -> StateSettings:
        return StateSettings(
            prefix=self.redis_prefix,
            online_ttl_s=self.online_ttl_s,
            health_ttl_s=self.health_ttl_s,
        )


ENV_KEYS: dict[str, str] = {
    "ADWATCH_KAFKA_BOOTSTRAP": "kafka_bootstrap",
    "ADWATCH_PG_DSN": "pg_dsn",
    "ADWATCH_REDIS_URL": "redis_url",
    "ADWATCH_KAFKA_TOPIC_PREFIX": "topic_prefix",
    "ADWATCH_STREAM_APP_ID": "app_id",
    "ADWATCH_STREAM_DATA_DIR": "data_dir",
    "ADWATCH_REDIS_PREFIX": "redis_prefix",
    "ADWATCH_STREAM_METRICS_PORT": "metrics_port",
}


def load_settings(
    path: Path | None, env: Mapping[str, str], overrides: Mapping[str, object]
) -> StreamSettings:
    """Merge file < environment < command-line overrides; unknown keys are errors."""
    tree: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise StreamConfigError(f"cannot read {path}: {exc}") from exc
        tree = dict(raw.get("stream", raw))
    for name, key in ENV_KEYS.items():
        if name in env:
            tree[key] = env[name]
    tree.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(tree, StreamSettings, strict=False)
    except msgspec.ValidationError as exc:
        raise StreamConfigError(f"bad stream settings: {exc}") from exc
