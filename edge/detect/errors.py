"""The detection package's single error root."""

from __future__ import annotations


class DetectError(Exception):
    """Root of every error raised by :mod:`edge.detect`."""


class ModelError(DetectError):
    """The model file is missing, corrupt, or does not match its metadata."""


class SourceError(DetectError):
    """A video source cannot be opened, decoded, or stops mid-stream."""


class CorpusError(DetectError):
    """The corpus generator failed (ffmpeg missing or crashed, bad arguments)."""
