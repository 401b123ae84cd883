"""Stress the detector where the benchmark corpus is easy (known failure modes).

Renders held-out timelines (seed 5001, the benchmark's, 8-minute files, both
profiles) at 720p without encoding, runs the live engine on 5 fps samples and
scores the offline result. Cases:

* ``desat_ads``: every ad desaturated to grey (colour is no longer a cue).
* ``sat_programme``: programme over-saturated x3 (colourful programme).
* ``midbreak``: the engine starts 10 s into the first break (a device that
  boots during ads: the logo mask is first learned from an ad).

Usage: .venv/bin/python tests/bench/stress_detect.py CASE [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.detect.corpus.plan import PROFILES, plan_file  # noqa: E402
from edge.detect.corpus.synth import sampled_frames  # noqa: E402
from edge.detect.decide import DecideConfig  # noqa: E402
from edge.detect.engine import DetectionEngine, DetectSettings  # noqa: E402
from edge.detect.evaluate import FileScore, score_file, summarise  # noqa: E402
from edge.detect.runner import offline_breaks  # noqa: E402

CASES = ("desat_ads", "sat_programme", "midbreak")


def desaturate(frame: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR))


def oversaturate(frame: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
    hsv[..., 1] = np.clip(hsv[..., 1].astype(np.int32) * 3, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR))


def run_case(case: str, profile: str, index: int, model: Path | None) -> FileScore:
    tl = plan_file(profile, 5001, index, 480)  # type: ignore[arg-type]
    truth = [(a / tl.fps, b / tl.fps) for a, b in tl.breaks]
    skip = truth[0][0] + 10 if case == "midbreak" else 0.0
    engine = DetectionEngine(DetectSettings(), model)
    events = []
    for t, frame, audio in sampled_frames(tl, 1280, 720, 5.0):
        if t < skip:
            continue
        inside = any(a <= t < b for a, b in truth)
        if case == "desat_ads" and inside:
            frame = desaturate(frame)
        elif case == "sat_programme" and not inside:
            frame = oversaturate(frame)
        events += engine.process(frame, t - skip, audio)
    events += engine.flush(tl.n_frames / tl.fps - skip)
    found = [(b.start_s + skip, b.end_s + skip) for b in offline_breaks(events, DecideConfig())]
    clipped = [(max(a, skip), b) for a, b in truth if b > skip]
    score = score_file(f"{profile}-{index}", tl.n_frames / tl.fps, clipped, found)
    print(
        f"{case} {score.name} P {score.precision:.3f} R {score.recall:.3f} F1 {score.f1:.3f}"
        f" truth {[(round(a, 1), round(b, 1)) for a, b in clipped]}"
        f" found {[(round(a, 1), round(b, 1)) for a, b in found]}",
        flush=True,
    )
    return score


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("case", choices=CASES)
    p.add_argument("--model", type=Path, default=None)
    args = p.parse_args(argv)
    scores = [run_case(args.case, prof, i, args.model) for prof in PROFILES for i in (0, 1)]
    m = summarise(scores)
    print(
        f"{args.case} ALL P {m.precision:.3f} R {m.recall:.3f} F1 {m.f1:.3f} "
        f"boundary median {m.boundary_median_s:.2f} s p95 {m.boundary_p95_s:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
