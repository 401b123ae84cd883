"""``adwatch-edge corpus generate``: write a synthetic broadcast corpus (video + truth JSON)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge.detect.errors import DetectError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="adwatch-edge corpus", description=__doc__)
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    g = sub.add_parser(
        "generate",
        help="generate video files with ground-truth JSON",
        description="Writes <profile>-s<seed>-<n>.mp4 (H.264, AAC where the "
        "profile has audio) and a .json truth file next to each.",
    )
    g.add_argument("--out", type=Path, required=True, help="output folder")
    g.add_argument("--minutes", type=float, required=True, help="total minutes of video")
    g.add_argument("--seed", type=int, required=True, help="seed (varies everything)")
    g.add_argument(
        "--profile",
        choices=["sports", "news", "mixed"],
        default="mixed",
        help="content profile; mixed alternates (default)",
    )
    g.add_argument("--file-minutes", type=float, default=10.0, help="minutes per file")
    g.add_argument("--width", type=int, default=1280)
    g.add_argument("--height", type=int, default=720)
    g.add_argument("--fps", type=int, default=30)
    g.add_argument("--preset", default="fast", help="libx264 preset (default fast)")
    g.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from edge.detect.corpus.generate import EncodeSettings, generate
    from edge.detect.corpus.plan import PROFILES, Profile

    if args.minutes <= 0 or args.file_minutes <= 0 or args.width < 64 or args.height < 36:
        print("error: minutes must be positive and the size at least 64x36", file=sys.stderr)
        return 2
    profiles: list[Profile] = list(PROFILES) if args.profile == "mixed" else [args.profile]
    enc = EncodeSettings(width=args.width, height=args.height, fps=args.fps, preset=args.preset)
    try:
        files = generate(
            args.out,
            args.minutes,
            args.seed,
            profiles,
            args.file_minutes,
            enc,
            progress=not args.quiet,
        )
    except DetectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for f in files:
        print(f"wrote {f}", file=sys.stderr)
    return 0
