"""Benchmark the ad detector against Debian's comskip on a held-out generated corpus.

Generates (and caches under run/detect/bench/) a corpus from seeds never used in
training, both profiles, at least 30 minutes of 720p30 H.264; runs our detector
and comskip (default settings + output_edl=1) on every file; scores both with
the same second-level metrics; measures throughput pinned to one core
(``taskset -c 0``) for decode-only (OpenCV reading every frame) and for the full
detector on the same file, alternating runs. Writes bench-results/detect.md.

Usage: .venv/bin/python tests/bench/bench_detect.py [--seed N] [--minutes M]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.detect.evaluate import FileScore, Summary, score_file, summarise  # noqa: E402

RUN = ROOT / "run" / "detect" / "bench"
PY = sys.executable


def ensure_corpus(seed: int, minutes: float, preset: str) -> Path:
    """Half the minutes per profile, 8-minute files; cached by seed/minutes/preset."""
    out = RUN / f"corpus-s{seed}"
    marker = out / f".done-{minutes:g}-{preset}"
    if marker.exists():
        return out
    for profile in ("sports", "news"):
        subprocess.run(
            [
                PY,
                "-m",
                "edge.cli",
                "corpus",
                "generate",
                "--out",
                str(out),
                "--minutes",
                str(minutes / 2),
                "--file-minutes",
                "8",
                "--seed",
                str(seed),
                "--profile",
                profile,
                "--preset",
                preset,
            ],
            check=True,
            cwd=ROOT,
        )
    marker.write_text("ok\n")
    return out


def run_ours(videos: list[Path]) -> tuple[list[FileScore], float, list[float]]:
    from edge.detect.cli_eval import score_video
    from edge.detect.engine import DetectSettings

    scores, p50s = [], []
    started = time.perf_counter()
    for v in videos:
        print(f"ours: {v.name}", file=sys.stderr)
        scores.append(score_video(v, DetectSettings(), None))
    return scores, time.perf_counter() - started, p50s


def comskip_segments(edl: Path) -> list[tuple[float, float]]:
    segs = []
    if edl.exists():
        for line in edl.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2:
                segs.append((float(parts[0]), float(parts[1])))
    return segs


def run_comskip(videos: list[Path]) -> tuple[list[FileScore], float]:
    from edge.detect.corpus.generate import read_truth

    out = RUN / "comskip"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    ini = out / "comskip.ini"
    ini.write_text("output_edl=1\n")  # everything else: comskip's defaults
    scores = []
    started = time.perf_counter()
    for v in videos:
        print(f"comskip: {v.name}", file=sys.stderr)
        subprocess.run(
            ["comskip", f"--ini={ini}", f"--output={out}", str(v.resolve())],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        truth = read_truth(v.with_suffix(".json"))
        scores.append(
            score_file(
                v.name,
                truth.duration_s,
                [(b.start_s, b.end_s) for b in truth.breaks],
                comskip_segments(out / (v.stem + ".edl")),
            )
        )
    return scores, time.perf_counter() - started


CHILD_DECODE = """
import cv2, json, sys, time
cap = cv2.VideoCapture(sys.argv[1]); limit = int(float(sys.argv[2]) * cap.get(cv2.CAP_PROP_FPS))
t = time.perf_counter(); n = 0
while n < limit:
    ok, _ = cap.read()
    if not ok: break
    n += 1
print(json.dumps({"frames": n, "wall": time.perf_counter() - t, "fps": cap.get(cv2.CAP_PROP_FPS)}))
"""
CHILD_DETECT = """
import json, sys, time
import av, cv2, onnxruntime  # library start-up is not throughput (the decode child imports cv2 too)
from pathlib import Path
from edge.detect.engine import DetectSettings
from edge.detect.runner import run_file
t = time.perf_counter()
r = run_file(Path(sys.argv[1]), DetectSettings(), None, max_seconds=float(sys.argv[2]))
s = r.inference
wall = time.perf_counter() - t
print(json.dumps({"frames": r.frames, "wall": wall, "fps": r.frames / r.duration_s,
                  "p50": s.p50_ms, "p95": s.p95_ms}))
"""


def pinned(code: str, video: Path, seconds: float) -> dict[str, float]:
    cmd = ["taskset", "-c", "0", PY, "-c", code, str(video), str(seconds)]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    data: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return data


def throughput(video: Path, seconds: float, rounds: int) -> dict[str, float]:
    decode, detect = [], []
    for _ in range(rounds):  # alternate, keep the best of each: other load only slows down
        decode.append(pinned(CHILD_DECODE, video, seconds))
        detect.append(pinned(CHILD_DETECT, video, seconds))
    d = min(decode, key=lambda r: r["wall"])
    x = min(detect, key=lambda r: r["wall"])
    video_s = x["frames"] / x["fps"]
    return {
        "video_s": video_s,
        "decode_wall": d["wall"],
        "detect_wall": x["wall"],
        "decode_fps": d["frames"] / d["wall"],
        "detect_fps": x["frames"] / x["wall"],
        "realtime": video_s / x["wall"],
        "ratio": (x["frames"] / x["wall"]) / (d["frames"] / d["wall"]),
        "p50": x["p50"],
        "p95": x["p95"],
        "decode_walls": [r["wall"] for r in decode],
        "detect_walls": [r["wall"] for r in detect],
    }


LIMITS = """## Where it fails (read before trusting the numbers above)

- The corpus is our own generator's: ads are saturated, fast-cut and never show the channel logo
  by construction; programme carries a persistent corner logo. The numbers above
  say the detector solves *this* corpus; they say nothing about real broadcasts.
- Run `tests/bench/stress_detect.py CASE` for the known failure modes: grey ads
  (`desat_ads`), colourful programme (`sat_programme`), and a source that starts
  in the middle of a break (`midbreak`: the logo mask is first learned from an ad
  and the tracker needs > 75 s of programme to swap to the channel logo; breaks
  in that window are missed or inverted). A channel without any logo is not
  covered by the corpus at all.
- comskip ran with its defaults and no tuning for this material; its individual
  misses (per-file table) were not analysed.
"""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def row(name: str, m: Summary, wall: float, minutes: float) -> str:
    return (
        f"| {name} | {m.precision:.3f} | {m.recall:.3f} | **{m.f1:.3f}** | "
        f"{m.boundary_median_s:.2f} | {m.boundary_p95_s:.2f} | {m.lag_median_s:.2f} | "
        f"{m.true_breaks}/{m.detected_breaks}/{m.matched} | {wall:.0f} s "
        f"({minutes * 60 / wall:.1f}x rt) |"
    )


def report(
    args: argparse.Namespace,
    videos: list[Path],
    ours: tuple[list[FileScore], float],
    comskip: tuple[list[FileScore], float] | None,
    tp: dict[str, float],
) -> str:
    from edge.detect.cli_eval import table
    from edge.detect.model import load_model

    minutes = sum(s.duration_s for s in ours[0]) / 60
    mo = summarise(ours[0])
    lines = [
        "# Ad detection benchmark",
        "",
        f"Held-out corpus: seed {args.seed} (training used 1001-1004, validation 1101), "
        f"{len(videos)} files, {minutes:.1f} min of 1280x720 30 fps H.264 (libx264 "
        f"`{args.preset}`), profiles sports (no audio) and news (AAC audio). "
        f"Model `{load_model().version}`. Machine: 2 shared cores; other engineers' jobs "
        f"were running (load varies), so wall times are upper bounds.",
        "",
        "## Accuracy (same files, same scoring)",
        "",
        "| detector | precision | recall | F1 | boundary err median s | p95 s | "
        "live lag median s | breaks true/found/matched | wall time |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
        row("adwatch (ours)", mo, ours[1], minutes),
    ]
    mc = summarise(comskip[0]) if comskip else None
    if comskip and mc:
        lines.append(row("comskip (Debian, defaults)", mc, comskip[1], minutes))
    lines += [
        "",
        "(comskip decides offline only, so it has no live lag.)",
        "",
        "## Throughput, pinned to one core (`taskset -c 0`)",
        "",
        f"File `{Path(args.throughput_file).name}`, first {tp['video_s']:.0f} s, best of "
        f"{args.rounds} alternating runs.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| decode-only (OpenCV `read()` every frame) | {tp['decode_fps']:.0f} fps |",
        f"| detector (decode + features + model + decisions, audio incl.) | "
        f"{tp['detect_fps']:.0f} fps |",
        f"| detector / decode-only | **{tp['ratio']:.2f}** |",
        f"| detector, multiple of real time | **{tp['realtime']:.1f}x** |",
        f"| inference ms p50 / p95 | {tp['p50']:.3f} / {tp['p95']:.3f} |",
        f"| raw walls decode / detect (s) | {tp['decode_walls']} / {tp['detect_walls']} |",
        "",
        "## Targets",
        "",
        "| target | value | result |",
        "|---|---:|---|",
        f"| F1 >= 0.97 | {mo.f1:.3f} | {verdict(mo.f1 >= 0.97)} |",
    ]
    if mc:
        lines.append(
            f"| F1 strictly above comskip | {mo.f1:.3f} vs {mc.f1:.3f} | {verdict(mo.f1 > mc.f1)} |"
        )
    lines += [
        f"| boundary error median <= 0.5 s | {mo.boundary_median_s:.2f} | "
        f"{verdict(mo.boundary_median_s <= 0.5)} |",
        f"| boundary error p95 <= 2 s | {mo.boundary_p95_s:.2f} | "
        f"{verdict(mo.boundary_p95_s <= 2.0)} |",
        f"| live decision lag median <= 3 s | {mo.lag_median_s:.2f} | "
        f"{verdict(mo.lag_median_s <= 3.0)} |",
        f"| throughput >= 0.75 of decode-only | {tp['ratio']:.2f} | "
        f"{verdict(tp['ratio'] >= 0.75)} |",
        f"| >= 4x real time on one core | {tp['realtime']:.1f}x | "
        f"{verdict(tp['realtime'] >= 4.0)} |",
        "",
        LIMITS,
        "## Per file: ours",
        "",
        table(ours[0], mo),
        "",
    ]
    if comskip and mc:
        lines += ["## Per file: comskip", "", table(comskip[0], mc), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=5001, help="held-out corpus seed")
    p.add_argument("--minutes", type=float, default=32.0, help="corpus minutes (>= 30)")
    p.add_argument("--preset", default="ultrafast", help="libx264 preset for the corpus")
    p.add_argument("--throughput-seconds", type=float, default=120.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--skip-comskip", action="store_true")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results" / "detect.md")
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    corpus = ensure_corpus(args.seed, args.minutes, args.preset)
    videos = sorted(corpus.glob("*.mp4"))
    args.throughput_file = str(next(v for v in videos if v.name.startswith("news")))
    ours_scores, ours_wall, _ = run_ours(videos)
    comskip = None if args.skip_comskip else run_comskip(videos)
    print("throughput (pinned) ...", file=sys.stderr)
    tp = throughput(Path(args.throughput_file), args.throughput_seconds, args.rounds)
    text = report(args, videos, (ours_scores, ours_wall), comskip, tp)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    print(text)
    print(f"median of decode walls {statistics.median(tp['decode_walls']):.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
