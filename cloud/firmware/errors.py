"""The one error root of ``cloud.firmware``."""

from __future__ import annotations


class FirmwareError(Exception):
    """A release that cannot be stored, signed or announced."""
