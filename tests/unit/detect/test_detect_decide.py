"""The pure temporal state machine against hand-written score sequences."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.detect.decide import (
    DecideConfig,
    DecideState,
    Sample,
    ad_length_fit,
    block_length_score,
    finish,
    initial_state,
    keep_break,
    merge_breaks,
    next_state,
)
from edge.detect.events import Break, BreakEnded, BreakEvent, BreakStarted

CFG = DecideConfig()
FPS = 5.0


def programme(t: float) -> Sample:
    return Sample(t_s=t, p_ad=0.1, logo=0.95, logo_ready=True)


def ad(t: float, cut: bool = False) -> Sample:
    return Sample(t_s=t, p_ad=0.9, logo=0.2, cut=cut, logo_ready=True)


def black(t: float) -> Sample:
    return Sample(t_s=t, p_ad=0.5, logo=0.0, black=True, cut=True, logo_ready=True)


def run(samples: list[Sample], cfg: DecideConfig = CFG) -> tuple[DecideState, list[BreakEvent]]:
    state, events = initial_state(), []
    for s in samples:
        state, new = next_state(state, s, cfg)
        events += new
    return state, events


def lagging_break(prog_s: float, ad_s: float, tail_s: float, lag_s: float = 1.0) -> list[Sample]:
    """Programme, then an ad block whose classifier score lags the picture by ``lag_s``
    (windowed features), with black frames around it; then programme again."""
    out: list[Sample] = []
    n = int((prog_s + ad_s + tail_s) * FPS)
    for i in range(n):
        t = i / FPS
        if t < prog_s:
            out.append(programme(t))
        elif t < prog_s + 0.4:
            out.append(black(t))
        elif t < prog_s + ad_s:
            s = ad(t, cut=abs(t - prog_s - 0.4) < 1e-6)
            if t < prog_s + lag_s:  # score still low: windows are catching up
                s = Sample(t_s=t, p_ad=0.3, logo=0.2, logo_ready=True)
            out.append(s)
        else:
            late = t < prog_s + ad_s + lag_s
            out.append(Sample(t_s=t, p_ad=0.7 if late else 0.1, logo=0.95, logo_ready=True))
    return out


def test_one_break_start_is_corrected_back_to_the_black_frames() -> None:
    _, events = run(lagging_break(60.0, 45.0, 30.0))
    assert [type(e) for e in events] == [BreakStarted, BreakEnded]
    started, ended = events
    assert isinstance(started, BreakStarted) and isinstance(ended, BreakEnded)
    assert abs(started.start_s - 60.0) <= 0.2
    assert 60.0 < started.decided_at_s <= 63.0  # bounded live lag
    assert abs(ended.start_s - 60.0) <= 0.2
    assert abs(ended.end_s - 105.0) <= 0.2
    assert ended.break_id == started.break_id
    assert ended.decided_at_s >= ended.end_s


def test_scores_oscillating_inside_the_hysteresis_band_never_start_a_break() -> None:
    samples = [
        Sample(t_s=i / FPS, p_ad=0.45 + 0.1 * (i % 2), logo=0.9, logo_ready=True)
        for i in range(600)
    ]
    _, events = run(samples)
    assert events == []


def test_a_short_dip_inside_a_break_does_not_end_it() -> None:
    samples = lagging_break(30.0, 60.0, 20.0)
    dip = [i for i, s in enumerate(samples) if 70.0 <= s.t_s < 70.8]
    for i in dip:
        samples[i] = Sample(t_s=samples[i].t_s, p_ad=0.2, logo=0.9, logo_ready=True)
    _, events = run(samples)
    assert len([e for e in events if isinstance(e, BreakEnded)]) == 1


def test_max_break_forces_an_end() -> None:
    cfg = DecideConfig(max_break_s=60.0)
    samples = [programme(i / FPS) for i in range(100)] + [ad(20 + i / FPS) for i in range(600)]
    _, events = run(samples, cfg)
    ended = [e for e in events if isinstance(e, BreakEnded)]
    assert ended and ended[0].end_s - ended[0].start_s <= 60.0 + 1.0


def test_finish_closes_an_open_break_and_is_a_no_op_otherwise() -> None:
    state, events = run(
        [programme(i / FPS) for i in range(50)] + [ad(10 + i / FPS) for i in range(50)]
    )
    assert [type(e) for e in events] == [BreakStarted]
    _, closing = finish(state, 20.0, CFG)
    assert len(closing) == 1 and isinstance(closing[0], BreakEnded)
    assert closing[0].end_s == 20.0
    idle, _ = run([programme(i / FPS) for i in range(50)])
    assert finish(idle, 10.0, CFG)[1] == []


def test_without_a_logo_the_start_snaps_to_the_cut_that_began_the_block() -> None:
    samples = [Sample(t_s=i / FPS, p_ad=0.1) for i in range(150)]
    samples += [
        Sample(t_s=30 + i / FPS, p_ad=0.3 if i < 5 else 0.9, cut=i == 0) for i in range(100)
    ]
    _, events = run(samples)
    assert isinstance(events[0], BreakStarted)
    assert abs(events[0].start_s - 30.0) <= 0.2


def test_keep_break_and_merge() -> None:
    short = BreakEnded(break_id="b1", start_s=0, end_s=5, decided_at_s=7, confidence=0.9)
    assert not keep_break(short, CFG)
    merged = merge_breaks([Break(0, 30, 0.8), Break(33, 60, 0.6), Break(200, 230, 0.9)], 8.0)
    assert [(b.start_s, b.end_s) for b in merged] == [(0, 60), (200, 230)]


def test_ad_length_fit() -> None:
    assert ad_length_fit(30.0) == 1.0
    assert ad_length_fit(37.0) == 0.0
    assert 0 < ad_length_fit(15.3) < 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.booleans()), min_size=1, max_size=400)
)
def test_events_are_well_formed_for_any_scores(values: list[tuple[float, float, bool]]) -> None:
    samples = [
        Sample(t_s=i / FPS, p_ad=p, logo=lg, cut=c, logo_ready=True)
        for i, (p, lg, c) in enumerate(values)
    ]
    state, events = run(samples)
    state, tail = finish(state, len(values) / FPS, CFG)
    events += tail
    open_id: str | None = None
    for ev in events:
        if isinstance(ev, BreakStarted):
            assert open_id is None
            open_id = ev.break_id
            assert ev.start_s <= ev.decided_at_s
        else:
            assert ev.break_id == open_id
            assert ev.start_s <= ev.end_s <= ev.decided_at_s + 1e-9
            assert 0.0 <= ev.confidence <= 1.0
            open_id = None
    assert open_id is None


def test_silence_bounds_a_break_when_there_is_no_logo_and_no_black() -> None:
    samples = [Sample(t_s=i / FPS, p_ad=0.1) for i in range(150)]
    samples += [Sample(t_s=30.0, p_ad=0.2, silent=True)]
    samples += [Sample(t_s=30.2 + i / FPS, p_ad=0.3 if i < 4 else 0.9) for i in range(100)]
    _, events = run(samples)
    assert isinstance(events[0], BreakStarted)
    assert abs(events[0].start_s - 30.0) <= 0.2


def test_a_break_does_not_end_while_the_logo_is_still_missing() -> None:
    samples = lagging_break(30.0, 60.0, 30.0)
    # 8 s inside the break where the pictures stop looking like ads, logo still absent
    for i, s in enumerate(samples):
        if 60.0 <= s.t_s < 68.0:
            samples[i] = Sample(t_s=s.t_s, p_ad=0.2, logo=0.25, logo_ready=True)
    _, events = run(samples)
    ended = [e for e in events if isinstance(e, BreakEnded)]
    assert len(ended) == 1 and abs(ended[0].end_s - 90.0) <= 0.2


def test_a_lost_logo_cannot_hold_a_break_open_forever() -> None:
    samples = lagging_break(30.0, 30.0, 60.0)
    for i, s in enumerate(samples):  # programme resumes but the logo is never seen again
        if s.t_s >= 60.4:
            samples[i] = Sample(t_s=s.t_s, p_ad=0.1, logo=0.1, logo_ready=True)
    _, events = run(samples)
    ended = [e for e in events if isinstance(e, BreakEnded)]
    assert len(ended) == 1 and ended[0].decided_at_s <= 60.4 + CFG.stuck_s + 1.0


def quiet(t: float) -> Sample:
    """Digital silence between ads: an ad picture (same score), no sound."""
    return Sample(t_s=t, p_ad=0.9, logo=0.2, silent=True, logo_ready=True)


def ads_break(lengths: list[float], separated: bool = True) -> list[Sample]:
    """30 s of programme, ads of ``lengths`` (each begins with 0.4 s of silence when
    ``separated``; the break always begins and ends with it), then 20 s of programme."""
    out = [programme(i / FPS) for i in range(int(30 * FPS))]
    t = 30.0
    for k, length in enumerate(lengths):
        for i in range(round(length * FPS)):
            tt = round(t + i / FPS, 3)
            out.append(quiet(tt) if i < 2 and (separated or k == 0) else ad(tt))
        t = round(t + length, 3)
    out += [quiet(round(t + i / FPS, 3)) for i in range(2)]
    out += [programme(round(t + 0.4 + i / FPS, 3)) for i in range(int(20 * FPS))]
    return out


def ended_of(samples: list[Sample]) -> BreakEnded:
    state, events = run(samples)
    ended = [e for e in events if isinstance(e, BreakEnded)]
    assert len(ended) == 1 and state.mode == "programme" and state.separators == ()
    return ended[0]


def test_block_length_score_is_the_duration_weighted_share_of_standard_blocks() -> None:
    assert block_length_score(0.0, 45.0, (30.0,)) == 1.0  # 30 + 15
    assert block_length_score(0.0, 45.0, (37.0,)) == 0.0  # 37 + 8
    assert abs(block_length_score(0.0, 67.0, (30.0,)) - 30.0 / 67.0) < 1e-9  # 30 + 37
    # separator runs at the very start / end are blocks shorter than a second: ignored
    assert block_length_score(0.0, 45.3, (0.1, 30.1, 45.1)) == 1.0
    assert block_length_score(0.0, 50.0, ()) == 0.0  # one 50 s block
    assert block_length_score(0.0, 0.5, ()) == 0.0  # nothing but a separator
    assert 0.0 < block_length_score(0.0, 30.5, ()) < 1.0  # within the tolerance


def test_standard_ads_separated_by_silence_score_higher_than_odd_lengths() -> None:
    standard, odd = ended_of(ads_break([30.0, 15.0])), ended_of(ads_break([37.0, 8.0]))
    # same samples but for where the separator falls: same boundaries, same mean p
    assert (standard.start_s, standard.end_s) == (odd.start_s, odd.end_s) == (29.9, 75.3)
    assert abs(standard.confidence - odd.confidence - 0.25) < 2e-4
    assert standard.confidence > odd.confidence


def test_standard_ads_score_higher_with_separators_than_without() -> None:
    with_sep = ended_of(ads_break([30.0, 20.0]))
    without = ended_of(ads_break([30.0, 20.0], separated=False))  # one 50 s block
    assert (with_sep.start_s, with_sep.end_s) == (without.start_s, without.end_s)
    assert with_sep.confidence > without.confidence


def test_separators_are_remembered_beyond_the_history_window() -> None:
    lengths = [60.0, 30.0, 45.0]  # 135 s: the first separators leave the 30 s lookback
    with_sep = ended_of(ads_break(lengths))
    without = ended_of(ads_break(lengths, separated=False))  # one 135 s block: no fit
    assert abs(with_sep.confidence - without.confidence - 0.25) < 2e-4


def test_break_boundaries_are_unchanged_by_the_block_score() -> None:
    """Exact values recorded before the length score existed (it must not move them)."""
    _, events = run(lagging_break(60.0, 45.0, 30.0))
    started, ended = events
    assert isinstance(started, BreakStarted) and isinstance(ended, BreakEnded)
    assert (started.start_s, started.decided_at_s) == (59.9, 61.6)
    assert (ended.start_s, ended.end_s, ended.decided_at_s) == (59.9, 104.9, 106.8)
    assert started.confidence == 0.6111
    # mean p was 0.8677; one 44.9 s block after the black frames fits 45 s at 0.9
    assert abs(ended.confidence - (0.75 * 0.8677 + 0.25 * 0.9)) < 2e-4
    ended2 = ended_of(ads_break([30.0, 15.0]))
    assert (ended2.start_s, ended2.end_s, ended2.decided_at_s) == (29.9, 75.3, 76.6)
    assert abs(ended2.confidence - (0.75 * 0.8761 + 0.25 * 1.0)) < 2e-4
