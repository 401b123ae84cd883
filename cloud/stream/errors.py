"""The one error root of ``cloud.stream``."""

from __future__ import annotations


class StreamError(Exception):
    """Root of every error the stream processors raise."""


class StreamConfigError(StreamError):
    """A settings file or value that cannot be used."""
