"""The TV package's single error root."""

from __future__ import annotations


class TvError(Exception):
    """Root of every error raised by :mod:`edge.tv`."""


class TvConfigError(TvError):
    """The TV configuration is invalid (unknown plugin type, missing key map, bad field)."""


class TvCommandError(TvError):
    """A TV command was sent but failed, timed out, or the device was unreachable."""


class TvUnsupported(TvError):
    """The controller cannot perform this action (e.g. no key for it in the key map)."""
