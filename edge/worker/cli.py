"""``adwatch-edge worker --config FILE``: capture, detect, act on the TV, publish.

Configuration is one TOML file plus ``ADWATCH_WORKER__SECTION__KEY`` environment
overrides (see :mod:`edge.worker.config`). Exit codes: 0 after a clean stop (SIGTERM,
SIGINT, or the end of a non-looping file), 1 on a runtime failure, 2 on a bad config.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import structlog

from edge.tv.errors import TvError
from edge.worker.config import LogSection, load_config
from edge.worker.errors import ConfigError, WorkerError


def configure_logging(cfg: LogSection, device: str) -> None:
    level = getattr(logging, cfg.level.upper())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if cfg.json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    structlog.contextvars.bind_contextvars(device=device)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="adwatch-edge worker",
        description="Run the edge worker: capture -> detect ad breaks -> act on the TV -> "
        "publish events, health and telemetry to the venue broker.",
    )
    parser.add_argument("--config", type=Path, required=True, help="worker config (TOML)")
    parser.add_argument("--check", action="store_true", help="validate the config and exit")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        from edge.tv.chain import build_chain

        build_chain(cfg.tv)  # unknown plugin types / key maps fail here, before anything runs
    except (ConfigError, TvError) as exc:
        print(f"adwatch-edge worker: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print("configuration OK")
        return 0
    configure_logging(cfg.log, cfg.device.device)
    from edge.worker.app import run_worker

    try:
        return asyncio.run(run_worker(cfg))
    except (WorkerError, TvError) as exc:
        print(f"adwatch-edge worker: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
