"""Typed settings of the store-and-forward bridge (``[bridge]`` in TOML, ``ADWATCH_BRIDGE_*``)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from broker.mqtt_client import MqttSettings
from broker.spool import DEFAULT_MAX_BYTES
from schemas.topics import check_id

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]


class Endpoint(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    host: str
    port: Port
    username: str | None = None
    password: str | None = None
    """Prefer ``password_file`` (one line, the password) over a password in the config."""
    password_file: str | None = None
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive: Annotated[int, msgspec.Meta(ge=5, le=3600)] = 30

    def mqtt(self, client_id: str, *, clean_session: bool, max_inflight: int) -> MqttSettings:
        password = self.password
        if self.password_file:
            with open(self.password_file, encoding="utf-8") as handle:
                password = handle.read().strip()
        return MqttSettings(
            host=self.host,
            port=self.port,
            client_id=client_id,
            username=self.username,
            password=password,
            keepalive=self.keepalive,
            clean_session=clean_session,
            tls=self.tls,
            ca_file=self.ca_file,
            cert_file=self.cert_file,
            key_file=self.key_file,
            max_inflight=max_inflight,
        )


class BridgeSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    tenant: str
    location: str
    spool_path: str
    """SQLite file of the store-and-forward queue."""
    local: Endpoint
    """The venue broker (log in with a ``bridge_users`` account)."""
    cloud: Endpoint
    """The cloud MQTT broker (or its load balancer)."""
    spool_max_bytes: Annotated[int, msgspec.Meta(ge=4096)] = DEFAULT_MAX_BYTES
    client_id: str = ""
    """Stable MQTT client id prefix (default ``adwatch-bridge-{tenant}-{location}``)."""
    window: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 200
    """Cloud publishes in flight at once."""
    live_share: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.25
    """Part of the window kept for messages that arrived after a reconnect (while draining)."""
    backoff_initial_s: Annotated[float, msgspec.Meta(gt=0)] = 0.5
    backoff_max_s: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    metrics_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] | None = None
    """Prometheus endpoint port (None: no endpoint; 0: any free port)."""
    metrics_host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        check_id(self.tenant, "tenant")
        check_id(self.location, "location")

    @property
    def client_prefix(self) -> str:
        return self.client_id or f"adwatch-bridge-{self.tenant}-{self.location}"
