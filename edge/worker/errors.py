"""The worker package's single error root."""

from __future__ import annotations


class WorkerError(Exception):
    """Root of every error raised by :mod:`edge.worker`."""


class ConfigError(WorkerError):
    """The worker configuration is invalid (file, environment override or a section)."""


class CaptureError(WorkerError):
    """The video source cannot be opened (after the configured retries)."""


class LinkError(WorkerError):
    """The MQTT link failed in a way the worker cannot recover from by itself."""
