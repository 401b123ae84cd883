"""``adwatch-edge coordinator --config FILE``: run one venue coordinator node.

Every coordinator-capable box of a venue runs this. The nodes form a Raft
cluster (pysyncobj, password required); the leader runs the venue broker, the
bridge to the cloud and the mDNS advert, and hands them over on failure.

``... --config FILE registry show|role DEV ROLE|tv DEV TV|remove DEV`` reads or
changes the replicated venue registry as a read-only Raft client.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import structlog

from edge.coordinator import admin
from edge.coordinator.config import PASSWORD_ENV, load_config
from edge.coordinator.errors import CoordinatorError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="adwatch-edge coordinator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"The Raft password may come from ${PASSWORD_ENV} instead of the file.",
    )
    p.add_argument("--config", type=Path, required=True, help="coordinator TOML file")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--check", action="store_true", help="validate the config and exit (0 = valid)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    admin.add_parser(sub)
    return p


def _setup_logging(level: str) -> None:
    numeric = getattr(logging, level.upper())
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )


async def _run(config_path: Path) -> int:
    from edge.coordinator.node import Coordinator

    cfg = load_config(config_path, os.environ)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await Coordinator(cfg).run(stop)
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(args.log_level)
    try:
        if args.check:
            from edge.coordinator.services import build_bridge, build_broker

            cfg = load_config(args.config, os.environ)
            build_broker(cfg)  # the plugins check their own settings trees
            build_bridge(cfg)
            print(f"{args.config}: ok")
            return 0
        if args.command == "registry":
            return asyncio.run(admin.run_admin(load_config(args.config, os.environ), args))
        return asyncio.run(_run(args.config))
    except CoordinatorError as exc:
        print(f"adwatch-edge coordinator: {exc}", file=sys.stderr)
        return 2
