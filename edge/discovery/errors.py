"""The discovery package's single error root."""

from __future__ import annotations


class DiscoveryError(Exception):
    """Root of every error raised by :mod:`edge.discovery`."""


class AdvertError(DiscoveryError):
    """The broker advert could not be registered, updated or withdrawn."""


class NoBrokerFound(DiscoveryError, TimeoutError):
    """No matching broker advert was seen before the timeout."""
