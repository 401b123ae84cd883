"""``adwatch-edge eval DIR``: score the detector on every video of a corpus folder.

For each ``*.mp4`` with a truth ``.json`` next to it, runs the detector (live
engine, offline result) and reports second-level precision/recall/F1, median
and p95 boundary error, the live decision lag (decision time minus true break
start), and a per-file table. ``--markdown`` writes the same as Markdown.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from edge.detect.errors import DetectError
from edge.detect.evaluate import FileScore, Summary, percentile, score_file, summarise


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="adwatch-edge eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", type=Path, help="corpus folder (from `adwatch-edge corpus generate`)")
    p.add_argument("--model", type=Path, default=None, help="ONNX model (default: committed)")
    p.add_argument("--config", type=Path, default=None, help="TOML file with a [detect] table")
    p.add_argument("--markdown", type=Path, default=None, help="also write a Markdown report")
    return p


def score_video(video: Path, settings: object, model: Path | None) -> FileScore:
    """Run the detector on one corpus file and score it against its truth."""
    from edge.detect.corpus.generate import read_truth
    from edge.detect.engine import DetectSettings
    from edge.detect.events import BreakEnded, BreakStarted
    from edge.detect.runner import MERGE_GAP_S, run_file

    assert isinstance(settings, DetectSettings)
    truth = read_truth(video.with_suffix(".json"))
    result = run_file(video, settings, model)
    decided = {e.break_id: e.decided_at_s for e in result.events if isinstance(e, BreakStarted)}
    ended = [e for e in result.events if isinstance(e, BreakEnded)]
    detected = [(b.start_s, b.end_s) for b in result.breaks]
    # the live decision of an (offline, merged) break = the first start decided inside it
    decided_at: list[float | None] = []
    for a, b in detected:
        inside = [decided[e.break_id] for e in ended if a <= e.start_s <= b + MERGE_GAP_S]
        decided_at.append(min(inside) if inside else None)
    return score_file(
        video.name,
        result.duration_s,
        [(b.start_s, b.end_s) for b in truth.breaks],
        detected,
        decided_at,
    )


def table(scores: list[FileScore], summary: Summary) -> str:
    lines = [
        "| file | min | P | R | F1 | breaks (true/found/matched) | bnd med s | lag med s |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for s in scores:
        med, lag = percentile(s.boundary_errors, 50), percentile(s.lags, 50)
        lines.append(
            f"| {s.name} | {s.duration_s / 60:.1f} | {s.precision:.3f} | "
            f"{s.recall:.3f} | {s.f1:.3f} | {s.true_breaks}/{s.detected_breaks}/"
            f"{s.matched} | {med:.2f} | {lag:.2f} |"
        )
    m = summary
    lines.append(
        f"| **all** | {sum(s.duration_s for s in scores) / 60:.1f} | "
        f"{m.precision:.3f} | {m.recall:.3f} | **{m.f1:.3f}** | {m.true_breaks}/"
        f"{m.detected_breaks}/{m.matched} | {m.boundary_median_s:.2f} | "
        f"{m.lag_median_s:.2f} |"
    )
    lines.append("")
    lines.append(
        f"boundary error median {m.boundary_median_s:.2f} s, p95 {m.boundary_p95_s:.2f} s;"
        f" live decision lag median {m.lag_median_s:.2f} s, p95 {m.lag_p95_s:.2f} s"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from edge.detect.config import load_settings

    videos = sorted(p for p in args.dir.glob("*.mp4") if p.with_suffix(".json").exists())
    if not args.dir.is_dir() or not videos:
        print(
            f"adwatch-edge eval: error: no corpus videos with truth in {args.dir}", file=sys.stderr
        )
        return 1
    scores = []
    try:
        settings = load_settings(args.config, os.environ)
        for v in videos:
            print(f"scoring {v.name} ...", file=sys.stderr)
            scores.append(score_video(v, settings, args.model))
    except DetectError as exc:
        print(f"adwatch-edge eval: error: {exc}", file=sys.stderr)
        return 1
    text = table(scores, summarise(scores))
    print(text)
    if args.markdown:
        args.markdown.write_text("# Detector evaluation\n\n" + text + "\n")
    return 0
