"""Corpus planning: deterministic, standard ad lengths, programme around breaks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.detect.corpus.audio import SAMPLE_RATE, soundtrack
from edge.detect.corpus.plan import AD_LENGTHS_S, plan_file


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["sports", "news"]))
def test_plan_is_deterministic_and_well_formed(seed: int, profile: str) -> None:
    a = plan_file(profile, seed, 0, 900)  # type: ignore[arg-type]
    b = plan_file(profile, seed, 0, 900)  # type: ignore[arg-type]
    assert a.segments == b.segments and a.style == b.style
    assert a.segments[0].kind == "programme" and a.segments[-1].kind == "programme"
    for prev, nxt in zip(a.segments, a.segments[1:], strict=False):
        assert prev.end_f == nxt.start_f  # contiguous
    for start, end in a.breaks:
        ads = [s for s in a.segments if s.kind == "ad" and start <= s.start_f < end]
        assert 2 <= len(ads) <= 6
        blacks = sum(
            s.end_f - s.start_f
            for s in a.segments
            if s.kind == "black" and start <= s.start_f < end
        )
        total_ads = sum(s.end_f - s.start_f for s in ads)
        # ad + the black that precedes it add up to standard lengths
        assert (total_ads + blacks) / a.fps >= 2 * min(AD_LENGTHS_S)
        for s in ads:
            assert s.shots and all(sh.end_f > sh.start_f for sh in s.shots)


def test_different_seeds_differ() -> None:
    assert plan_file("sports", 1, 0, 600).segments != plan_file("sports", 2, 0, 600).segments


def test_soundtrack_is_silent_at_black_and_louder_in_ads() -> None:
    import numpy as np

    for seed in range(20):
        tl = plan_file("news", seed, 0, 600)
        if any(s.kind == "black" for s in tl.segments) and tl.breaks:
            break
    pcm = soundtrack(tl)
    assert len(pcm) == tl.n_frames * SAMPLE_RATE // tl.fps

    def rms(kind: str) -> float:
        parts = [
            pcm[s.start_f * SAMPLE_RATE // tl.fps : s.end_f * SAMPLE_RATE // tl.fps]
            for s in tl.segments
            if s.kind == kind
        ]
        return float(np.sqrt(np.mean(np.concatenate(parts) ** 2)))

    assert rms("black") == 0.0
    assert rms("ad") > 2 * rms("programme")
