"""Scoring of detections against truth."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from edge.detect.evaluate import match, overlap, score_file, summarise, total, union


def test_union_total_overlap() -> None:
    assert union([(5, 8), (0, 2), (1, 3)]) == [(0, 3), (5, 8)]
    assert total([(0, 2), (1, 3), (10, 11)]) == 4
    assert overlap([(0, 10)], [(5, 15), (20, 30)]) == 5


def test_perfect_and_partial_scores() -> None:
    perfect = score_file("a", 600, [(100, 200)], [(100, 200)], [102.0])
    assert perfect.f1 == 1.0 and perfect.boundary_errors == (0.0, 0.0)
    assert perfect.lags == (2.0,)
    partial = score_file("b", 600, [(100, 200)], [(110, 220)], [None])
    assert math.isclose(partial.precision, 90 / 110)
    assert math.isclose(partial.recall, 0.9)
    assert partial.boundary_errors == (10.0, 20.0) and partial.lags == ()


def test_missed_and_false_breaks() -> None:
    s = score_file("c", 600, [(100, 200), (400, 450)], [(100, 200), (500, 520)])
    assert s.matched == 1 and s.detected_breaks == 2
    assert math.isclose(s.recall, 100 / 150) and math.isclose(s.precision, 100 / 120)


def test_summary_pools_seconds() -> None:
    a = score_file("a", 600, [(0, 100)], [(0, 100)], [1.0])
    b = score_file("b", 600, [(0, 100)], [], [])
    m = summarise([a, b])
    assert math.isclose(m.recall, 0.5) and m.precision == 1.0
    assert m.lag_median_s == 1.0 and m.matched == 1


@given(
    st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 100)), max_size=8),
    st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 100)), max_size=8),
)
def test_overlap_bounds(xs: list[tuple[float, float]], ys: list[tuple[float, float]]) -> None:
    x = [(a, a + d) for a, d in xs]
    y = [(a, a + d) for a, d in ys]
    ov = overlap(x, y)
    assert -1e-6 <= ov <= min(total(x), total(y)) + 1e-6
    assert math.isclose(ov, overlap(y, x), abs_tol=1e-6)
    for ti, di in match(x, y):
        assert 0 <= ti < len(x) and 0 <= di < len(y)
