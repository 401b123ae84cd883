"""Pure temporal decisions: frame scores in, break events out.

``next_state(state, sample, cfg) -> (state, events)`` is a pure function: the
state is an immutable value holding the recent samples (``lookback_s``), the
mode, and the open break. Rules:

* **Start** (programme -> ad): the mean ad probability over ``start_window_s``
  rises above ``threshold + hysteresis/2``. The start is then corrected
  backwards, as Comskip scores blocks between cut points: from the decision
  walk back over samples that look like ads (high score, channel logo absent,
  black frames), then snap to the cut / black / silence boundary that begins
  that block. ``BreakStarted`` carries this estimate and the decision time.
* **End** (ad -> programme): the mean falls below ``threshold - hysteresis/2``
  over ``end_window_s``, or the break reaches ``max_break_s``. The end is
  corrected back to where the logo returned (after the black frames).
* **Confidence** of ``BreakEnded`` is the Comskip-style block score
  ``0.75 * mean_p + 0.25 * length_score``: ``mean_p`` is the mean ad
  probability inside the break; ``length_score`` (:func:`block_length_score`)
  splits the break at its separators (the first sample of each run of black
  or silent samples, remembered in the state because a break outlives the
  history window) and is the duration-weighted share of blocks whose length
  fits a standard ad length (``AD_LENGTHS_S``, within ``LENGTH_TOLERANCE_S``).
  Blocks shorter than ``MIN_BLOCK_S`` (the separators themselves) are ignored.
  The score never moves a start or an end.
* ``min_break_s`` is applied by :func:`keep_break` (offline results).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

import msgspec

from edge.detect.events import Break, BreakEnded, BreakEvent, BreakStarted

if TYPE_CHECKING:
    from edge.detect.engine import DetectSettings

AD_LENGTHS_S = (10.0, 15.0, 20.0, 30.0, 45.0, 60.0)
LENGTH_WEIGHT = 0.25  # share of the standard-length block score in the end confidence
LENGTH_TOLERANCE_S = 1.0  # a block this far from a standard length no longer fits
MIN_BLOCK_S = 1.0  # shorter blocks are separators (black / silence), not ads
MAX_SEPARATORS = 64  # bound on separators remembered inside one break


class Sample(msgspec.Struct, frozen=True):
    """One scored sample. ``cut`` marks a shot boundary (or black frame)."""

    t_s: float
    p_ad: float
    logo: float = 0.0
    cut: bool = False
    black: bool = False
    silent: bool = False
    logo_ready: bool = False


@dataclass(frozen=True, slots=True)
class DecideConfig:
    on_level: float = 0.6
    off_level: float = 0.4
    start_window_s: float = 1.6
    end_window_s: float = 2.0
    min_break_s: float = 20.0
    max_break_s: float = 480.0
    lookback_s: float = 30.0
    logo_seen: float = 0.5
    stuck_s: float = 20.0  # end anyway when the score stayed low this long

    @staticmethod
    def from_settings(s: DetectSettings) -> DecideConfig:
        half = s.hysteresis / 2
        return DecideConfig(
            on_level=s.threshold + half,
            off_level=s.threshold - half,
            start_window_s=s.start_window_s,
            end_window_s=s.end_window_s,
            min_break_s=s.min_break_s,
            max_break_s=s.max_break_s,
            lookback_s=s.lookback_s,
        )


class DecideState(msgspec.Struct, frozen=True):
    mode: Literal["programme", "ad"] = "programme"
    history: tuple[Sample, ...] = ()
    seq: int = 0  # breaks started so far (ids)
    start_s: float = 0.0  # corrected start of the open break
    p_sum: float = 0.0  # sum / count of p_ad inside the open break (confidence)
    p_count: int = 0
    separators: tuple[float, ...] = ()  # run starts of black/silence inside the open break


def initial_state() -> DecideState:
    return DecideState()


def _mean_p(samples: tuple[Sample, ...]) -> float:
    return sum(s.p_ad for s in samples) / len(samples) if samples else 0.0


def _window(history: tuple[Sample, ...], seconds: float) -> tuple[Sample, ...]:
    if not history:
        return ()
    t0 = history[-1].t_s - seconds + 1e-6
    i = len(history)
    while i > 0 and history[i - 1].t_s >= t0:
        i -= 1
    return history[i:]


def _half_step(history: tuple[Sample, ...]) -> float:
    if len(history) < 2:
        return 0.0
    return (history[-1].t_s - history[0].t_s) / (len(history) - 1) / 2


def _boundary(s: Sample) -> bool:
    """A block boundary: a cut, a black frame, or digital silence."""
    return s.cut or s.black or s.silent


def _separator(s: Sample) -> bool:
    """A separator between ads: black frames or digital silence."""
    return s.black or s.silent


def _run_starts(samples: tuple[Sample, ...], since: float) -> tuple[float, ...]:
    """Times of the first sample of each separator run at or after ``since``."""
    starts = tuple(
        s.t_s
        for i, s in enumerate(samples)
        if s.t_s >= since and _separator(s) and (i == 0 or not _separator(samples[i - 1]))
    )
    return starts[:MAX_SEPARATORS]


def block_length_score(start_s: float, end_s: float, separators: tuple[float, ...]) -> float:
    """Duration-weighted share of the blocks of [start_s, end_s] that fit an ad length.

    The break is split at ``separators``; blocks shorter than ``MIN_BLOCK_S``
    are separators themselves and are ignored. 0 when no block is left."""
    cuts = [start_s, *sorted(t for t in separators if start_s < t < end_s), end_s]
    blocks = [b - a for a, b in pairwise(cuts) if b - a >= MIN_BLOCK_S]
    total = sum(blocks)
    if total <= 0.0:
        return 0.0
    fit = sum(d * ad_length_fit(d, LENGTH_TOLERANCE_S) for d in blocks)
    return fit / total


def _ad_like(s: Sample, cfg: DecideConfig) -> bool:
    if s.black or s.silent:  # black / digital silence: the separator belongs to the break
        return True
    if s.logo_ready:
        return s.logo < cfg.logo_seen
    return s.p_ad >= cfg.off_level


def retro_start(history: tuple[Sample, ...], cfg: DecideConfig) -> float:
    """Where the break that was just decided began (see module docstring)."""
    i = len(history) - 1
    while i > 0 and history[i - 1].p_ad >= cfg.off_level:
        i -= 1
    while i > 0 and _ad_like(history[i - 1], cfg):
        i -= 1
    if not history[i].logo_ready:  # no logo to go by: snap back to the block's cut
        j = i
        while j > 0 and not _boundary(history[j]) and history[i].t_s - history[j - 1].t_s < 3.0:
            j -= 1
        i = j if _boundary(history[j]) else i
    if i == 0:
        return history[0].t_s
    return history[i].t_s - _half_step(history)


def _programme_like(s: Sample, cfg: DecideConfig) -> bool:
    if s.black or s.silent:
        return False
    if s.logo_ready:
        return s.logo >= cfg.logo_seen
    return s.p_ad < cfg.on_level


def retro_end(history: tuple[Sample, ...], cfg: DecideConfig) -> float:
    """Where programme resumed: the start of the trailing programme-like run."""
    i = len(history) - 1
    while i > 0 and _programme_like(history[i - 1], cfg):
        i -= 1
    if i == 0:
        return history[0].t_s
    return history[i].t_s - _half_step(history)


def _start(
    state: DecideState, hist: tuple[Sample, ...], cfg: DecideConfig
) -> tuple[DecideState, list[BreakEvent]]:
    t = hist[-1].t_s
    start = min(retro_start(hist, cfg), t)
    inside = tuple(s for s in hist if s.t_s >= start)
    seq = state.seq + 1
    p_sum, n = sum(s.p_ad for s in inside), len(inside)
    ev = BreakStarted(
        break_id=f"b{seq}",
        start_s=round(start, 3),
        decided_at_s=round(t, 3),
        confidence=round(p_sum / max(1, n), 4),
    )
    new = DecideState("ad", hist, seq, start, p_sum, n, _run_starts(hist, start))
    return new, [ev]


def _end(
    state: DecideState, hist: tuple[Sample, ...], end_s: float, t: float
) -> tuple[DecideState, list[BreakEvent]]:
    end = max(state.start_s, min(end_s, t))
    mean_p = state.p_sum / max(1, state.p_count)
    length_score = block_length_score(state.start_s, end, state.separators)
    ev = BreakEnded(
        break_id=f"b{state.seq}",
        start_s=round(state.start_s, 3),
        end_s=round(end, 3),
        decided_at_s=round(t, 3),
        confidence=round((1 - LENGTH_WEIGHT) * mean_p + LENGTH_WEIGHT * length_score, 4),
    )
    return DecideState("programme", hist, state.seq), [ev]


def next_state(
    state: DecideState, sample: Sample, cfg: DecideConfig
) -> tuple[DecideState, list[BreakEvent]]:
    """Advance the state machine by one sample (pure)."""
    hist = _window((*state.history, sample), cfg.lookback_s)
    if state.mode == "programme":
        recent = _window(hist, cfg.start_window_s)
        span = recent[-1].t_s - recent[0].t_s if recent else 0.0
        if span >= cfg.start_window_s * 0.75 and _mean_p(recent) >= cfg.on_level:
            return _start(state, hist, cfg)
        return msgspec.structs.replace(state, history=hist), []
    state = msgspec.structs.replace(
        state,
        history=hist,
        p_sum=state.p_sum + sample.p_ad,
        p_count=state.p_count + 1,
        separators=_next_separators(state, sample),
    )
    if sample.t_s - state.start_s >= cfg.max_break_s:
        return _end(state, hist, sample.t_s, sample.t_s)
    recent = _window(hist, cfg.end_window_s)
    span = recent[-1].t_s - recent[0].t_s
    low = span >= cfg.end_window_s * 0.75 and _mean_p(recent) <= cfg.off_level
    stuck = _mean_p(_window(hist, cfg.stuck_s)) <= cfg.off_level
    if low and (_logo_back(recent, cfg) or stuck):
        return _end(state, hist, retro_end(hist, cfg), sample.t_s)
    return state, []


def _next_separators(state: DecideState, sample: Sample) -> tuple[float, ...]:
    """Remember ``sample`` if it begins a run of black / silence (bounded)."""
    prev = state.history[-1] if state.history else None
    begins = _separator(sample) and not (prev is not None and _separator(prev))
    if begins and len(state.separators) < MAX_SEPARATORS:
        return (*state.separators, sample.t_s)
    return state.separators


def _logo_back(recent: tuple[Sample, ...], cfg: DecideConfig) -> bool:
    """The channel logo is back (or unknown): programme may resume.

    Logo absence is the strongest cue (it is what Comskip relies on), so a
    break whose pictures merely stop looking like ads (a calm, grey ad) does
    not end while the logo is still missing, unless the score stays low for
    ``stuck_s`` (the logo tracker may have lost the logo)."""
    ready = [s for s in recent if s.logo_ready and not s.black]
    if not ready:
        return True
    return sum(s.logo for s in ready) / len(ready) >= cfg.logo_seen


def finish(
    state: DecideState, t_s: float, cfg: DecideConfig
) -> tuple[DecideState, list[BreakEvent]]:
    """End of source: close an open break at ``t_s``."""
    if state.mode != "ad":
        return state, []
    return _end(state, state.history, t_s, t_s)


def keep_break(ev: BreakEnded, cfg: DecideConfig) -> bool:
    return ev.end_s - ev.start_s >= cfg.min_break_s


def ad_length_fit(duration_s: float, tolerance_s: float = 0.6) -> float:
    """How well a block length fits a standard ad length (1 = exact, 0 = far off)."""
    best = min(abs(duration_s - n) for n in AD_LENGTHS_S)
    return max(0.0, 1.0 - best / tolerance_s)


def merge_breaks(breaks: list[Break], min_gap_s: float) -> list[Break]:
    """Offline: join breaks separated by less than ``min_gap_s`` of programme."""
    out: list[Break] = []
    for b in sorted(breaks, key=lambda b: b.start_s):
        if out and b.start_s - out[-1].end_s < min_gap_s:
            prev = out[-1]
            conf = (prev.confidence + b.confidence) / 2
            out[-1] = Break(prev.start_s, max(prev.end_s, b.end_s), round(conf, 4))
        else:
            out.append(b)
    return out
