"""``adwatch-edge detect SOURCE --json``: print each finished ad break as one JSON line.

stdout carries only ``{"start_s": .., "end_s": .., "confidence": ..}`` lines;
logs and errors go to stderr. Exit 0 on success, 1 on bad input or a bad model.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import msgspec

from edge.detect.errors import DetectError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="adwatch-edge detect",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", type=Path, help="video file")
    p.add_argument(
        "--json",
        action="store_true",
        help="JSON lines on stdout (the default and only output format)",
    )
    p.add_argument("--model", type=Path, default=None, help="ONNX model (default: committed)")
    p.add_argument("--config", type=Path, default=None, help="TOML file with a [detect] table")
    p.add_argument("--threshold", type=float, default=None, help="override the ad threshold")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    import structlog

    from edge.detect.config import load_settings
    from edge.detect.runner import run_file

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    log = structlog.get_logger("detect")
    try:
        settings = load_settings(args.config, os.environ)
        if args.threshold is not None:
            settings = settings.with_changes(threshold=args.threshold)
        result = run_file(args.source, settings, args.model)
    except DetectError as exc:
        print(f"adwatch-edge detect: error: {exc}", file=sys.stderr)
        return 1
    for b in result.breaks:
        sys.stdout.write(
            msgspec.json.encode(
                {"start_s": b.start_s, "end_s": b.end_s, "confidence": b.confidence}
            ).decode()
            + "\n"
        )
    sys.stdout.flush()
    stats = result.inference
    log.info(
        "done",
        source=str(args.source),
        breaks=len(result.breaks),
        duration_s=round(result.duration_s, 1),
        wall_s=round(result.wall_s, 2),
        model=result.model_version,
        inference_p50_ms=round(stats.p50_ms, 3) if stats else None,
    )
    return 0
