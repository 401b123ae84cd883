"""Value types that cross the detection package's boundary."""

from __future__ import annotations

import msgspec


class AudioFeatures(msgspec.Struct, frozen=True):
    """Audio measured over the interval that ends at a sampled frame.

    ``rms_dbfs`` is the RMS level in dB relative to full scale (-120 for digital
    silence); ``silent`` is true when the interval is digital silence.
    """

    rms_dbfs: float
    silent: bool


class BreakStarted(msgspec.Struct, frozen=True):
    """A break was decided to have started at ``start_s`` (source time, seconds).

    ``decided_at_s`` is the source time at which the decision was taken; the
    live decision lag is ``decided_at_s - start_s``.
    """

    break_id: str
    start_s: float
    decided_at_s: float
    confidence: float


class BreakEnded(msgspec.Struct, frozen=True):
    """A break ended. ``start_s`` is the corrected (retroactive) start time."""

    break_id: str
    start_s: float
    end_s: float
    decided_at_s: float
    confidence: float


BreakEvent = BreakStarted | BreakEnded


class Break(msgspec.Struct, frozen=True):
    """A finished break as reported by ``detect`` (times in seconds from source start)."""

    start_s: float
    end_s: float
    confidence: float
