"""The coordinator package's single error root."""

from __future__ import annotations


class CoordinatorError(Exception):
    """Root of every error raised by :mod:`edge.coordinator`."""


class ConfigError(CoordinatorError):
    """The coordinator configuration is missing, malformed or unsafe."""


class RaftError(CoordinatorError):
    """A registry write could not be committed by the Raft cluster."""


class ServiceError(CoordinatorError):
    """A leader service (broker, advert, bridge) failed to start or stop."""
