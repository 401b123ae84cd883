"""The worker's typed configuration: one TOML file plus ``ADWATCH_WORKER__...`` overrides.

Every section is a frozen Struct that forbids unknown keys, so a typo is a start-up error
naming the key. An environment variable ``ADWATCH_WORKER__BROKER__PORT=1884`` overrides
``[broker] port``; its value is read as a TOML value (``true``, ``30``, ``"x"``), or as a
plain string when it is not valid TOML.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import msgspec

from edge.policy import PolicyConfig
from edge.tv.chain import TvSettings
from edge.worker.errors import ConfigError

ENV_PREFIX = "ADWATCH_WORKER__"


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class DeviceSection(_Section, frozen=True, kw_only=True):
    tenant: str
    location: str
    device: str
    firmware: str = "0.1.0"
    hardware: str = ""


class SourceSection(_Section, frozen=True, kw_only=True):
    """``url``: a file path, ``/dev/videoN`` (V4L2), or an rtsp/http/https/udp URL."""

    url: str
    channel: str | None = None  # the label analytics group by (e.g. "espn"); default: the url
    loop: bool = False  # files: start again at the end (demos)
    speed: float = 1.0  # files: 1 = real time, 4 = 4x, 0 = as fast as possible
    start_time: datetime | None = None  # files: wall time of media time 0 (replays)
    reconnect_initial_s: float = 1.0
    reconnect_max_s: float = 30.0
    max_attempts: int = 0  # 0 = retry for ever


class DetectSection(_Section, frozen=True, kw_only=True):
    """Detector settings; unset fields keep the engine's defaults."""

    model: str | None = None
    threshold: float | None = None
    sample_fps: float | None = None
    min_break_s: float | None = None
    max_break_s: float | None = None
    logo_warmup_s: float | None = None
    start_window_s: float | None = None
    end_window_s: float | None = None


class BrokerSection(_Section, frozen=True, kw_only=True):
    discover: bool = False  # find the venue broker by mDNS (edge.discovery)
    host: str = "127.0.0.1"
    port: int = 1883
    interfaces: list[str] = msgspec.field(default_factory=list)  # mDNS interfaces
    discover_timeout_s: float = 10.0
    keepalive_s: int = 30
    username: str | None = None
    password: str | None = None
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 15.0
    max_inflight: int = 50


class OutboxSection(_Section, frozen=True, kw_only=True):
    path: str = "/var/lib/adwatch/outbox.sqlite"
    max_bytes: int = 64 * 1024 * 1024
    drain_timeout_s: float = 10.0  # on SIGTERM: how long to wait for the broker's PUBACKs


class IntervalsSection(_Section, frozen=True, kw_only=True):
    health_s: float = 30.0
    telemetry_s: float = 60.0


class PolicySection(_Section, frozen=True, kw_only=True):
    action: Literal["none", "mute", "switch_input", "switch_channel"] = "mute"
    min_break_s: float = 0.0
    ad_input: str | None = None
    normal_input: str | None = None
    ad_channel: str | None = None
    normal_channel: str | None = None
    initially_muted: bool = False

    def to_policy(self) -> PolicyConfig:
        return PolicyConfig(**msgspec.structs.asdict(self))


class LogSection(_Section, frozen=True, kw_only=True):
    level: Literal["debug", "info", "warning", "error"] = "info"
    json: bool = False


class WorkerConfig(_Section, frozen=True, kw_only=True):
    device: DeviceSection
    source: SourceSection
    detect: DetectSection = DetectSection()
    broker: BrokerSection = BrokerSection()
    outbox: OutboxSection = OutboxSection()
    intervals: IntervalsSection = IntervalsSection()
    policy: PolicySection = PolicySection()
    tv: TvSettings = TvSettings()
    log: LogSection = LogSection()


def _env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Overlay ``ADWATCH_WORKER__SECTION__KEY`` variables onto the parsed file."""
    for name, text in sorted(env.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in name.removeprefix(ENV_PREFIX).split("__") if p]
        if not path:
            raise ConfigError(f"{name}: empty key path")
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{name}: `{part}` is not a table")
            node = child
        node[path[-1]] = _env_value(text)
    return data


def _check(cfg: WorkerConfig) -> None:
    problems = cfg.policy.to_policy().problems()
    if cfg.source.speed < 0:
        problems.append("source.speed must be >= 0")
    st = cfg.source.start_time
    if st is not None and st.utcoffset() is None:
        problems.append("source.start_time needs a UTC offset (e.g. 2026-01-01T00:00:00Z)")
    if cfg.intervals.health_s <= 0 or cfg.intervals.telemetry_s <= 0:
        problems.append("intervals must be positive")
    if not 1 <= cfg.broker.port <= 65535:
        problems.append("broker.port must be in 1..65535")
    if problems:
        raise ConfigError("; ".join(problems))


def parse_config(data: Mapping[str, Any], origin: str = "config") -> WorkerConfig:
    try:
        cfg = msgspec.convert(dict(data), WorkerConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{origin}: {exc}") from exc
    _check(cfg)
    return cfg


def load_config(path: Path, env: Mapping[str, str] | None = None) -> WorkerConfig:
    """Read ``path`` (TOML), apply the environment, validate: the one entry point."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    data = apply_env(data, os.environ if env is None else env)
    return parse_config(data, str(path))
