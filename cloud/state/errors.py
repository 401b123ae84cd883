"""The one error root of ``cloud.state``."""

from __future__ import annotations


class StateError(Exception):
    """Redis could not be read or written, or held something unreadable."""
