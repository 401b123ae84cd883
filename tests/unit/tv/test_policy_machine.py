"""The break policy state machine: examples and Hypothesis invariants (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.policy import (
    ActionFailed,
    BreakBegan,
    BreakFinished,
    PolicyConfig,
    PolicyState,
    Tick,
    initial_state,
    next_state,
)
from edge.tv.base import TvAction

MUTE = TvAction("mute")
UNMUTE = TvAction("unmute")


def run(
    cfg: PolicyConfig, events: list[object], state: PolicyState | None = None
) -> list[TvAction]:
    st_ = state or initial_state(cfg)
    out: list[TvAction] = []
    for ev in events:
        st_, acts = next_state(st_, ev, cfg)  # type: ignore[arg-type]
        out += acts
    return out


def test_mute_at_start_unmute_at_end() -> None:
    cfg = PolicyConfig(action="mute")
    assert run(cfg, [BreakBegan("b1", 10.0, 11.5), BreakFinished("b1", 70.0)]) == [MUTE, UNMUTE]


def test_already_muted_tv_is_left_alone() -> None:
    cfg = PolicyConfig(action="mute")
    events = [BreakBegan("b1", 10.0, 11.5, tv_muted=True), BreakFinished("b1", 70.0)]
    assert run(cfg, events) == []


def test_remembered_mute_state_when_controller_cannot_tell() -> None:
    cfg = PolicyConfig(action="mute", initially_muted=True)
    assert run(cfg, [BreakBegan("b1", 0.0, 1.0), BreakFinished("b1", 40.0)]) == []


def test_short_break_triggers_nothing_and_long_break_acts_once_old_enough() -> None:
    cfg = PolicyConfig(action="mute", min_break_s=20.0)
    short = [BreakBegan("b1", 10.0, 12.0), Tick(20.0), Tick(29.9), BreakFinished("b1", 29.9)]
    assert run(cfg, short) == []
    state = initial_state(cfg)
    state, acts = next_state(state, BreakBegan("b2", 10.0, 12.0), cfg)
    assert acts == []
    state, acts = next_state(state, Tick(29.0), cfg)
    assert acts == []
    state, acts = next_state(state, Tick(30.0), cfg)
    assert acts == [MUTE]
    state, acts = next_state(state, Tick(31.0), cfg)
    assert acts == []
    _, acts = next_state(state, BreakFinished("b2", 60.0), cfg)
    assert acts == [UNMUTE]


def test_switch_input_restores_the_normal_input() -> None:
    cfg = PolicyConfig(action="switch_input", ad_input="hdmi2", normal_input="hdmi1")
    acts = run(cfg, [BreakBegan("b", 0.0, 1.0), BreakFinished("b", 30.0)])
    assert acts == [TvAction("input", "hdmi2"), TvAction("input", "hdmi1")]


def test_switch_channel_restores_the_normal_channel() -> None:
    cfg = PolicyConfig(action="switch_channel", ad_channel="7", normal_channel="12")
    acts = run(cfg, [BreakBegan("b", 0.0, 1.0), BreakFinished("b", 30.0)])
    assert acts == [TvAction("channel", "7"), TvAction("channel", "12")]


def test_failed_mute_is_never_restored() -> None:
    cfg = PolicyConfig(action="mute")
    events = [BreakBegan("b", 0.0, 1.0), ActionFailed(MUTE), BreakFinished("b", 30.0)]
    assert run(cfg, events) == [MUTE]  # the attempt only: no unmute after a failed mute


def test_failed_unmute_is_remembered_as_muted() -> None:
    cfg = PolicyConfig(action="mute")
    events = [
        BreakBegan("b", 0.0, 1.0),
        BreakFinished("b", 30.0),
        ActionFailed(UNMUTE),
        BreakBegan("c", 40.0, 41.0),
        BreakFinished("c", 70.0),
    ]
    assert run(cfg, events) == [MUTE, UNMUTE]


def test_overlapping_start_and_foreign_end_are_ignored() -> None:
    cfg = PolicyConfig(action="mute")
    events = [
        BreakBegan("a", 0.0, 1.0),
        BreakBegan("b", 2.0, 3.0),
        BreakFinished("b", 9.0),
        BreakFinished("a", 10.0),
    ]
    assert run(cfg, events) == [MUTE, UNMUTE]


def test_config_problems() -> None:
    assert PolicyConfig(action="switch_input").problems()
    assert PolicyConfig(action="switch_channel", ad_channel="x", normal_channel="1").problems()
    assert not PolicyConfig(action="mute").problems()


# ----------------------------------------------------------------- invariants


@dataclass
class Tv:
    """A simulated TV. ``toggle`` models IR/Roku: mute and unmute are the same key."""

    muted: bool
    input: str
    channel: str
    toggle: bool

    def apply(self, action: TvAction) -> None:
        if action.kind in ("mute", "unmute"):
            self.muted = (not self.muted) if self.toggle else action.kind == "mute"
        elif action.kind == "input":
            self.input = str(action.arg)
        elif action.kind == "channel":
            self.channel = str(action.arg)


breaks = st.lists(
    st.tuples(
        st.floats(0.0, 60.0),  # gap before the break
        st.floats(0.0, 120.0),  # duration
        st.booleans(),  # controller can report mute state
        st.booleans(),  # the first action fails
    ),
    max_size=6,
)
configs = st.builds(
    PolicyConfig,
    action=st.sampled_from(["none", "mute", "switch_input", "switch_channel"]),
    min_break_s=st.sampled_from([0.0, 5.0, 20.0]),
    ad_input=st.just("hdmi2"),
    normal_input=st.just("hdmi1"),
    ad_channel=st.just("7"),
    normal_channel=st.just("12"),
)


@settings(max_examples=300, deadline=None)
@given(cfg=configs, plan=breaks, muted0=st.booleans(), toggle=st.booleans())
def test_invariants(
    cfg: PolicyConfig, plan: list[tuple[float, float, bool, bool]], muted0: bool, toggle: bool
) -> None:
    tv = Tv(muted=muted0, input="hdmi1", channel="12", toggle=toggle)
    cfg = PolicyConfig(
        action=cfg.action,
        min_break_s=cfg.min_break_s,
        ad_input=cfg.ad_input,
        normal_input=cfg.normal_input,
        ad_channel=cfg.ad_channel,
        normal_channel=cfg.normal_channel,
        initially_muted=muted0,
    )
    state = initial_state(cfg)
    t = 0.0
    for i, (gap, duration, can_tell, first_fails) in enumerate(plan):
        t += gap
        before = (tv.muted, tv.input, tv.channel)
        bid = f"b{i}"
        emitted: list[TvAction] = []
        events: list[object] = [BreakBegan(bid, t, t + 1.0, tv.muted if can_tell else None)]
        events += [Tick(t + k) for k in range(2, int(duration) + 1)]
        events.append(BreakFinished(bid, t + duration))
        failed_once = False
        for ev in events:
            state, acts = next_state(state, ev, cfg)  # type: ignore[arg-type]
            for act in acts:
                if first_fails and not failed_once:
                    failed_once = True
                    state, more = next_state(state, ActionFailed(act), cfg)
                    assert more == []
                    continue
                emitted.append(act)
                tv.apply(act)
        t += duration
        # 1. restore puts back exactly what was there
        assert (tv.muted, tv.input, tv.channel) == before, (cfg, emitted)
        # 2. a TV that was muted before is never muted or unmuted
        if before[0]:
            assert not any(a.kind in ("mute", "unmute") for a in emitted)
        # 3. a break shorter than the minimum triggers nothing
        if duration < cfg.min_break_s:
            assert emitted == []
        # 4. nothing is left pending between breaks
        assert state.phase == "idle"
