"""Pure scoring of detected breaks against ground truth (seconds, intervals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Interval = tuple[float, float]


@dataclass(frozen=True, slots=True)
class FileScore:
    name: str
    duration_s: float
    truth_s: float  # seconds of ads in the truth
    detected_s: float
    overlap_s: float
    true_breaks: int
    detected_breaks: int
    matched: int
    boundary_errors: tuple[float, ...]  # |start| and |end| errors of matched breaks
    lags: tuple[float, ...]  # live decision lags of matched breaks

    @property
    def precision(self) -> float:
        return self.overlap_s / self.detected_s if self.detected_s > 0 else 1.0

    @property
    def recall(self) -> float:
        return self.overlap_s / self.truth_s if self.truth_s > 0 else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


def union(intervals: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def total(intervals: Sequence[Interval]) -> float:
    return sum(b - a for a, b in union(intervals))


def overlap(x: Sequence[Interval], y: Sequence[Interval]) -> float:
    ux, uy = union(x), union(y)
    s, i, j = 0.0, 0, 0
    while i < len(ux) and j < len(uy):
        lo, hi = max(ux[i][0], uy[j][0]), min(ux[i][1], uy[j][1])
        s += max(0.0, hi - lo)
        if ux[i][1] < uy[j][1]:
            i += 1
        else:
            j += 1
    return s


def match(truth: Sequence[Interval], detected: Sequence[Interval]) -> list[tuple[int, int]]:
    """Pairs (truth index, detected index): each true break with its most-overlapping detection."""
    pairs = []
    for ti, t in enumerate(truth):
        best, best_ov = -1, 0.0
        for di, d in enumerate(detected):
            ov = min(t[1], d[1]) - max(t[0], d[0])
            if ov > best_ov:
                best, best_ov = di, ov
        if best >= 0:
            pairs.append((ti, best))
    return pairs


def score_file(
    name: str,
    duration_s: float,
    truth: Sequence[Interval],
    detected: Sequence[Interval],
    decided_at: Sequence[float | None] | None = None,
) -> FileScore:
    """Score one file. ``decided_at[i]`` is when detection ``i`` was decided live."""
    pairs = match(truth, detected)
    errors: list[float] = []
    lags: list[float] = []
    for ti, di in pairs:
        errors += [abs(detected[di][0] - truth[ti][0]), abs(detected[di][1] - truth[ti][1])]
        if decided_at is not None and decided_at[di] is not None:
            lags.append(float(decided_at[di]) - truth[ti][0])  # type: ignore[arg-type]
    return FileScore(
        name=name,
        duration_s=duration_s,
        truth_s=total(truth),
        detected_s=total(detected),
        overlap_s=overlap(truth, detected),
        true_breaks=len(truth),
        detected_breaks=len(detected),
        matched=len({ti for ti, _ in pairs}),
        boundary_errors=tuple(errors),
        lags=tuple(lags),
    )


@dataclass(frozen=True, slots=True)
class Summary:
    files: int
    precision: float
    recall: float
    f1: float
    boundary_median_s: float
    boundary_p95_s: float
    lag_median_s: float
    lag_p95_s: float
    true_breaks: int
    matched: int
    detected_breaks: int


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile, NaN when there are no values."""
    return float(np.percentile(values, q)) if values else float("nan")


def summarise(scores: Sequence[FileScore]) -> Summary:
    """Pooled over files (seconds summed, boundaries and lags pooled)."""
    ov = sum(s.overlap_s for s in scores)
    det = sum(s.detected_s for s in scores)
    tru = sum(s.truth_s for s in scores)
    p = ov / det if det > 0 else 1.0
    r = ov / tru if tru > 0 else 1.0
    errs = [e for s in scores for e in s.boundary_errors]
    lags = [x for s in scores for x in s.lags]
    return Summary(
        files=len(scores),
        precision=p,
        recall=r,
        f1=2 * p * r / (p + r) if p + r else 0.0,
        boundary_median_s=percentile(errs, 50),
        boundary_p95_s=percentile(errs, 95),
        lag_median_s=percentile(lags, 50),
        lag_p95_s=percentile(lags, 95),
        true_breaks=sum(s.true_breaks for s in scores),
        matched=sum(s.matched for s in scores),
        detected_breaks=sum(s.detected_breaks for s in scores),
    )
