"""The one error root of ``broker/``; third-party errors are translated at the boundary."""

from __future__ import annotations


class BrokerError(Exception):
    """Root of every error raised by the broker package."""


class ConfigError(BrokerError):
    """A settings file or value that cannot be used (unknown key, bad type, missing file)."""


class SpoolError(BrokerError):
    """The durable queue could not do what was asked (disk full, corrupt file, closed)."""


class SpoolFull(SpoolError):
    """The queue is at its byte bound and holds nothing it may drop.

    Raised by ``Spool.put`` for messages that must never be dropped (events,
    telemetry...): the caller must push back (not acknowledge upstream, retry later).
    """

    def __init__(self, needed: int, used: int, limit: int) -> None:
        super().__init__(f"spool full: {used} + {needed} bytes > limit {limit}")
        self.needed = needed
        self.used = used
        self.limit = limit


class MqttError(BrokerError):
    """An MQTT connection, subscription or publish failed."""


class PublishError(MqttError):
    """A publish was not accepted (not connected, queue full, refused)."""


class AuthError(BrokerError):
    """Bad credentials file or password hash."""
