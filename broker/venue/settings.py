"""Typed settings of the venue broker (``[venue]`` in the TOML file, ``ADWATCH_VENUE_*`` env)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from schemas.topics import check_id

Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]


class TlsSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    certfile: str
    """PEM certificate chain of the listener."""
    keyfile: str
    """PEM private key of the listener."""
    cafile: str | None = None
    """CA bundle to verify client certificates (optional; clients still log in by password)."""
    port: Port = 8883
    """TLS listener port; the plain listener stays on ``port`` unless ``plain = false``."""
    plain: bool = True


class VenueSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    tenant: str
    """Tenant id (``[a-z0-9][a-z0-9-]*``) of this venue."""
    location: str
    """Location (venue) id within the tenant."""
    host: str = "0.0.0.0"
    """Address to listen on (``--dev`` forces 127.0.0.1)."""
    port: Port = 1883
    """Plain MQTT listener port (0 = any free port; see ``VenueBroker.port``)."""
    password_file: str | None = None
    """``user:$7$...`` lines (mosquitto 2.0 format); required unless ``dev``."""
    bridge_users: list[str] = msgspec.field(default_factory=lambda: ["coordinator"])
    """Users with the broad bridge role; every other user is a device named by its id."""
    dev: bool = False
    """Anonymous access on loopback, ACL off. Never in production."""
    keepalive_factor: float = 1.5
    """A client silent for keepalive x this factor is disconnected (MQTT-3.1.2-24)."""
    max_offline_messages: Annotated[int, msgspec.Meta(ge=1)] = 10_000
    """QoS 1/2 messages queued per absent persistent session; the oldest go first."""
    session_expiry_s: Annotated[int, msgspec.Meta(ge=60)] | None = 7 * 86400
    """Remove a persistent session absent this long (None: keep forever)."""
    tls: TlsSettings | None = None

    def __post_init__(self) -> None:
        check_id(self.tenant, "tenant")
        check_id(self.location, "location")
        if not self.dev and not self.password_file:
            raise ValueError("password_file is required unless dev = true")
        if self.keepalive_factor < 1.0:
            raise ValueError("keepalive_factor must be >= 1.0")
