"""``next_state(state, event, cfg) -> (state, actions)``: what to do to a TV during a break.

Rules:

* **Minimum length, live.** Detection decides a start a moment after it happened and the
  end only when it comes, so a "short break" is unknowable when it starts. The policy
  therefore *waits*: it acts only once the break is ``min_break_s`` old (measured from the
  detector's start, fed by :class:`Tick`). A break that ends sooner triggers nothing at
  all — no action and no restore. The price is that the first ``min_break_s`` of every
  break plays unmuted; ``min_break_s = 0`` acts at once.
* **Restore exactly.** The state records what the policy changed (muted, the input or
  channel that was on before); the end of the break undoes only that. A change that
  failed (:class:`ActionFailed`) is forgotten, so it is never "restored" — which matters
  for toggle protocols, where a spurious unmute would mute the TV.
* **Never unmute a TV that was muted.** ``BreakBegan.tv_muted`` carries the mute state
  where the controller can tell; when it cannot (None), the policy uses what it
  remembers: ``cfg.initially_muted`` at start, then whatever it itself last did. A TV
  known or remembered to be muted is neither muted again nor unmuted at the end.
* Overlapping starts (a second ``BreakBegan`` while one is open) are ignored; an end for
  another break id is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from edge.tv.base import TvAction

PolicyAction = Literal["none", "mute", "switch_input", "switch_channel"]
Phase = Literal["idle", "pending", "active"]


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Per-TV break policy.

    ``normal_input``/``normal_channel`` say what to put back when the controller cannot
    report the current input/channel (no protocol here can), so they are required for
    ``switch_input``/``switch_channel``.
    """

    action: PolicyAction = "mute"
    min_break_s: float = 0.0
    ad_input: str | None = None
    normal_input: str | None = None
    ad_channel: str | None = None
    normal_channel: str | None = None
    initially_muted: bool = False

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.min_break_s < 0:
            out.append("min_break_s must be >= 0")
        if self.action == "switch_input" and not (self.ad_input and self.normal_input):
            out.append("switch_input needs ad_input and normal_input")
        if self.action == "switch_channel" and not (self.ad_channel and self.normal_channel):
            out.append("switch_channel needs ad_channel and normal_channel")
        for name in ("ad_channel", "normal_channel"):
            value = getattr(self, name)
            if value is not None and not value.isdigit():
                out.append(f"{name} must be digits")
        return out


@dataclass(frozen=True, slots=True)
class Changes:
    """What the policy changed during the current break (to undo exactly that)."""

    muted: bool = False
    input_before: str | None = None
    channel_before: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyState:
    phase: Phase = "idle"
    break_id: str | None = None
    start_s: float = 0.0
    tv_muted_before: bool | None = None
    changes: Changes = Changes()
    remembered_muted: bool = False


@dataclass(frozen=True, slots=True)
class BreakBegan:
    break_id: str
    start_s: float  # detector's (possibly retroactive) start, source seconds
    now_s: float  # source time at which the start was decided
    tv_muted: bool | None = None  # from the controller, None when it cannot tell


@dataclass(frozen=True, slots=True)
class Tick:
    now_s: float


@dataclass(frozen=True, slots=True)
class BreakFinished:
    break_id: str
    now_s: float


@dataclass(frozen=True, slots=True)
class ActionFailed:
    """Feedback from the executor: this action did not happen."""

    action: TvAction


PolicyEvent = BreakBegan | Tick | BreakFinished | ActionFailed


def initial_state(cfg: PolicyConfig) -> PolicyState:
    return PolicyState(remembered_muted=cfg.initially_muted)


def next_state(
    state: PolicyState, event: PolicyEvent, cfg: PolicyConfig
) -> tuple[PolicyState, list[TvAction]]:
    if isinstance(event, BreakBegan):
        return _began(state, event, cfg)
    if isinstance(event, Tick):
        return _tick(state, event.now_s, cfg)
    if isinstance(event, BreakFinished):
        return _finished(state, event)
    return _failed(state, event.action), []


def _began(
    state: PolicyState, event: BreakBegan, cfg: PolicyConfig
) -> tuple[PolicyState, list[TvAction]]:
    if state.phase != "idle":
        return state, []
    muted = event.tv_muted if event.tv_muted is not None else state.remembered_muted
    pending = replace(
        state,
        phase="pending",
        break_id=event.break_id,
        start_s=event.start_s,
        tv_muted_before=muted,
        changes=Changes(),
        remembered_muted=muted,
    )
    return _tick(pending, event.now_s, cfg)


def _tick(
    state: PolicyState, now_s: float, cfg: PolicyConfig
) -> tuple[PolicyState, list[TvAction]]:
    if state.phase != "pending" or now_s - state.start_s < cfg.min_break_s:
        return state, []
    changes, actions = _plan(cfg, bool(state.tv_muted_before))
    muted = state.remembered_muted or changes.muted
    return replace(state, phase="active", changes=changes, remembered_muted=muted), actions


def _plan(cfg: PolicyConfig, muted_before: bool) -> tuple[Changes, list[TvAction]]:
    if cfg.action == "mute":
        if muted_before:
            return Changes(), []
        return Changes(muted=True), [TvAction("mute")]
    if cfg.action == "switch_input" and cfg.ad_input and cfg.normal_input:
        return Changes(input_before=cfg.normal_input), [TvAction("input", cfg.ad_input)]
    if cfg.action == "switch_channel" and cfg.ad_channel and cfg.normal_channel:
        return Changes(channel_before=cfg.normal_channel), [TvAction("channel", cfg.ad_channel)]
    return Changes(), []


def _finished(state: PolicyState, event: BreakFinished) -> tuple[PolicyState, list[TvAction]]:
    if state.phase == "idle" or event.break_id != state.break_id:
        return state, []
    actions: list[TvAction] = []
    ch = state.changes
    if ch.muted:
        actions.append(TvAction("unmute"))
    if ch.input_before is not None:
        actions.append(TvAction("input", ch.input_before))
    if ch.channel_before is not None:
        actions.append(TvAction("channel", ch.channel_before))
    remembered = False if ch.muted else state.remembered_muted
    return PolicyState(remembered_muted=remembered), actions


def _failed(state: PolicyState, action: TvAction) -> PolicyState:
    ch = state.changes
    if action.kind == "mute" and ch.muted:
        return replace(
            state, changes=replace(ch, muted=False), remembered_muted=bool(state.tv_muted_before)
        )
    if action.kind == "unmute":
        return replace(state, remembered_muted=True)  # we left it muted
    if action.kind == "input" and state.phase == "active" and ch.input_before is not None:
        return replace(state, changes=replace(ch, input_before=None))
    if action.kind == "channel" and state.phase == "active" and ch.channel_before is not None:
        return replace(state, changes=replace(ch, channel_before=None))
    return state
