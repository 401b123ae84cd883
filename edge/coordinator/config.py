"""The coordinator's configuration: one typed tree, from a TOML file plus environment.

Secrets may come from the environment instead of the file:
``ADWATCH_RAFT_PASSWORD`` overrides ``raft.password`` and
``ADWATCH_REGISTRY_MQTT_PASSWORD`` overrides ``registry.password``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec

from edge.coordinator.errors import ConfigError

Ident = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Address = Annotated[str, msgspec.Meta(pattern=r"^[^:\s]+:[0-9]{1,5}$")]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
MIN_PASSWORD_LEN = 16
PASSWORD_ENV = "ADWATCH_RAFT_PASSWORD"
FEEDER_PASSWORD_ENV = "ADWATCH_REGISTRY_MQTT_PASSWORD"
_WHY_PASSWORD = (
    "Raft traffic carries the venue registry and decides which node runs the broker; "
    "without a shared password pysyncobj sends it as plain pickles that anyone on the LAN "
    "can read, and forge (a forged pickle also runs code on the receiving node). "
    f"Set raft.password (at least {MIN_PASSWORD_LEN} characters) or {PASSWORD_ENV}."
)


class _Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class NodeSection(_Section, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: Ident  # unique within the venue
    tenant: Ident
    location: Ident
    data_dir: str  # Raft journal and snapshot live here
    status_file: str | None = None  # JSON status rewritten on every watchdog tick


class RaftSection(_Section, frozen=True, kw_only=True, forbid_unknown_fields=True):
    bind: Address  # this node's Raft address, host:port (what peers dial)
    peers: tuple[Address, ...]  # the other members' Raft addresses
    password: str = ""
    election_timeout_min_s: Seconds = 0.4
    election_timeout_max_s: Seconds = 1.4
    heartbeat_s: Seconds = 0.1
    # A leader that hears from no majority for this long steps down (and so stops
    # its broker): bounds how long a partitioned ex-leader keeps serving.
    leader_fallback_s: Seconds = 4.0
    watchdog_s: Seconds = 0.5


class DiscoverySection(_Section, frozen=True, kw_only=True, forbid_unknown_fields=True):
    advertise_host: str  # the address workers connect to
    interfaces: tuple[str, ...] = ()  # mDNS interfaces (addresses); empty = all
    version: str = "1"


class BrokerSection(_Section, frozen=True, kw_only=True, forbid_unknown_fields=True):
    type: str = "venue"  # a key of edge.coordinator.services.BROKERS
    host: str = "0.0.0.0"  # listen address
    port: Port = 1883
    settings: dict[str, Any] = msgspec.field(default_factory=dict)  # the plugin's own tree


class BridgeSection(_Section, frozen=True, kw_only=True, forbid_unknown_fields=True):
    type: str = "venue"  # a key of edge.coordinator.services.BRIDGES ("none": no bridge)
    settings: dict[str, Any] = msgspec.field(default_factory=dict)


class RegistrySection(_Section, frozen=True, kw_only=True, forbid_unknown_fields=True):
    feed: bool = True  # the leader records devices seen on its broker
    flush_s: Seconds = 2.0  # one Raft write per batch of sightings
    username: str | None = None  # the feeder's login on the venue broker (a bridge user)
    password: str | None = None  # or ADWATCH_REGISTRY_MQTT_PASSWORD


class CoordinatorConfig(_Section, frozen=True, kw_only=True, forbid_unknown_fields=True):
    node: NodeSection
    raft: RaftSection
    discovery: DiscoverySection
    broker: BrokerSection = msgspec.field(default_factory=BrokerSection)
    bridge: BridgeSection = msgspec.field(default_factory=BridgeSection)
    registry: RegistrySection = msgspec.field(default_factory=RegistrySection)


def parse_config(data: Mapping[str, Any], env: Mapping[str, str]) -> CoordinatorConfig:
    """Validate a config tree (from TOML) with environment overrides applied."""
    try:
        cfg = msgspec.convert(dict(data), CoordinatorConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid coordinator config: {exc}") from exc
    if env.get(PASSWORD_ENV):
        cfg = msgspec.structs.replace(
            cfg, raft=msgspec.structs.replace(cfg.raft, password=env[PASSWORD_ENV])
        )
    if env.get(FEEDER_PASSWORD_ENV):
        cfg = msgspec.structs.replace(
            cfg,
            registry=msgspec.structs.replace(cfg.registry, password=env[FEEDER_PASSWORD_ENV]),
        )
    check_config(cfg)
    return cfg


def check_config(cfg: CoordinatorConfig) -> None:
    """Cross-field rules; raises ConfigError saying what is wrong and why."""
    raft = cfg.raft
    if not raft.password:
        raise ConfigError(f"raft.password is required. {_WHY_PASSWORD}")
    if len(raft.password) < MIN_PASSWORD_LEN:
        raise ConfigError(f"raft.password is too short. {_WHY_PASSWORD}")
    if raft.bind in raft.peers:
        raise ConfigError(f"raft.peers must not contain this node's own address {raft.bind}")
    if len(set(raft.peers)) != len(raft.peers):
        raise ConfigError("raft.peers lists an address twice")
    if raft.election_timeout_min_s >= raft.election_timeout_max_s:
        raise ConfigError("raft.election_timeout_min_s must be below election_timeout_max_s")
    if raft.heartbeat_s * 3 > raft.election_timeout_min_s:
        raise ConfigError("raft.heartbeat_s must be at most a third of election_timeout_min_s")
    anonymous = cfg.broker.type != "venue" or bool(cfg.broker.settings.get("dev"))
    if cfg.registry.feed and not anonymous and not cfg.registry.username:
        raise ConfigError(
            "registry.username is required: the registry feeder logs in to the venue broker "
            "(use a bridge user of the broker; or set registry.feed = false)"
        )


def load_config(path: Path, env: Mapping[str, str]) -> CoordinatorConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, env)
