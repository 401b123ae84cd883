"""``adwatch-broker venue``: run the embedded venue broker (amqtt + adwatch fixes)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from broker.errors import BrokerError
from broker.runtime import configure_logging, wait_for_stop_signal
from broker.settings_io import build, load_section
from broker.venue.passwords import hash_password
from broker.venue.server import DEV_WARNING, VenueBroker
from broker.venue.settings import VenueSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adwatch-broker venue",
        description="Run the venue's MQTT broker: per-device passwords, topic ACL, persistent "
        "sessions. Settings: [venue] of the TOML file, overridden by ADWATCH_VENUE_* variables.",
    )
    parser.add_argument("--config", help="TOML file with a [venue] table")
    parser.add_argument(
        "--dev", action="store_true", help="loopback only, anonymous, no ACL (NOT for production)"
    )
    parser.add_argument("--port", type=int, help="override the listener port (0 = any)")
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    parser.add_argument(
        "--hash-password",
        metavar="USER",
        help="read a password from stdin and print a password-file line for USER",
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.hash_password:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
        print(f"{args.hash_password}:{hash_password(password.rstrip(chr(10)))}")
        return 0
    configure_logging(args.log_level)
    try:
        settings = _settings(args)
    except (BrokerError, ValueError) as exc:
        print(f"adwatch-broker venue: {exc}", file=sys.stderr)
        return 2
    if settings.dev:
        print(f"WARNING: {DEV_WARNING}", file=sys.stderr, flush=True)
    try:
        asyncio.run(_run(settings, args.metrics_port))
    except BrokerError as exc:
        print(f"adwatch-broker venue: {exc}", file=sys.stderr)
        return 1
    return 0


def _settings(args: argparse.Namespace) -> VenueSettings:
    overrides: dict[str, object] = {}
    if args.dev:
        overrides["dev"] = True
    if args.port is not None:
        overrides["port"] = args.port
    if args.config is None:
        if not args.dev:
            raise BrokerError("--config is required (or --dev)")
        return build(VenueSettings, {"tenant": "dev", "location": "dev", **overrides})
    loaded = load_section(VenueSettings, args.config, "venue", "ADWATCH_VENUE_")
    return build(VenueSettings, {**_as_dict(loaded), **overrides})


def _as_dict(settings: VenueSettings) -> dict[str, object]:
    import msgspec

    data: dict[str, object] = msgspec.to_builtins(settings)
    return data


async def _run(settings: VenueSettings, metrics_port: int | None) -> None:
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1" if settings.dev else "0.0.0.0")
    async with VenueBroker(settings) as broker:
        print(f"adwatch venue broker listening on port {broker.port}", flush=True)
        await wait_for_stop_signal()
