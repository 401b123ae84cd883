"""``adwatch-broker bridge``: run the venue -> cloud store-and-forward bridge."""

from __future__ import annotations

import argparse
import asyncio
import sys

from broker.bridge.settings import BridgeSettings
from broker.errors import BrokerError
from broker.runtime import configure_logging, wait_for_stop_signal
from broker.settings_io import load_section


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adwatch-broker bridge",
        description="Bridge the venue broker to the cloud broker through an on-disk queue "
        "(nothing acknowledged is lost; health may coalesce when the queue is full). "
        "Settings: [bridge] of the TOML file, overridden by ADWATCH_BRIDGE_* variables.",
    )
    parser.add_argument("--config", required=True, help="TOML file with a [bridge] table")
    parser.add_argument("--log-level", default="INFO")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        settings = load_section(BridgeSettings, args.config, "bridge", "ADWATCH_BRIDGE_")
    except (BrokerError, ValueError) as exc:
        print(f"adwatch-broker bridge: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_run(settings))
    except BrokerError as exc:
        print(f"adwatch-broker bridge: {exc}", file=sys.stderr)
        return 1
    return 0


async def _run(settings: BridgeSettings) -> None:
    from broker.bridge.core import Bridge

    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        server, _thread = start_http_server(settings.metrics_port, addr=settings.metrics_host)
        print(f"adwatch bridge metrics on port {server.server_port}", flush=True)
    async with Bridge(settings) as bridge:
        print(
            f"adwatch bridge running, {bridge.spool.depth if bridge.spool else 0} queued",
            flush=True,
        )
        stop = asyncio.ensure_future(wait_for_stop_signal())
        run = asyncio.ensure_future(bridge.wait())
        await asyncio.wait({stop, run}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stop, run):
            task.cancel()
        if run.done() and not run.cancelled():
            run.result()  # a session loop died of a bug: exit non-zero, let systemd restart
