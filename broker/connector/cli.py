"""``adwatch-broker connector``: run one MQTT -> Kafka connector instance."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

import structlog

from broker.connector.config import ConnectorSettings, environ, load_settings
from broker.connector.errors import ConnectorError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="adwatch-broker connector",
        description="Move device uplinks from the cloud MQTT broker (shared subscription) to "
        "Kafka; acknowledge MQTT only after Kafka acknowledged. Settings: --config TOML "
        "([connector] table), then ADWATCH_* environment, then these flags.",
    )
    p.add_argument("--config", type=Path, help="TOML settings file")
    p.add_argument("--host", help="MQTT broker host (env ADWATCH_MQTT_HOST)")
    p.add_argument("--port", type=int, help="MQTT broker port (env ADWATCH_MQTT_PORT)")
    p.add_argument("--kafka", help="Kafka bootstrap host:port (env ADWATCH_KAFKA_BOOTSTRAP)")
    p.add_argument("--client-id", help="stable MQTT client id of this instance")
    p.add_argument("--share-group", help="shared-subscription group (default ingest)")
    p.add_argument("--topic-prefix", help="prefix for every Kafka topic name")
    p.add_argument("--receive-maximum", type=int, help="max un-acknowledged MQTT messages")
    p.add_argument("--session-expiry", type=int, help="MQTT session expiry in seconds")
    p.add_argument("--metrics-port", type=int, help="serve Prometheus metrics (0 = off)")
    p.add_argument("--log-level", help="debug, info, warning, error")
    return p


def _settings(args: argparse.Namespace) -> ConnectorSettings:
    overrides: dict[tuple[str | None, str], object] = {
        ("mqtt", "host"): args.host,
        ("mqtt", "port"): args.port,
        ("kafka", "bootstrap"): args.kafka,
        ("mqtt", "client_id"): args.client_id,
        ("mqtt", "share_group"): args.share_group,
        ("kafka", "topic_prefix"): args.topic_prefix,
        ("mqtt", "receive_maximum"): args.receive_maximum,
        ("mqtt", "session_expiry_s"): args.session_expiry,
        (None, "metrics_port"): args.metrics_port,
        (None, "log_level"): args.log_level,
    }
    return load_settings(args.config, environ(), overrides)


def configure_logging(level: str) -> None:
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


async def _serve(settings: ConnectorSettings) -> None:
    from broker.connector.service import Connector

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr="127.0.0.1")
    await Connector(settings).run(stop)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ConnectorError as exc:
        print(f"adwatch-broker connector: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        asyncio.run(_serve(settings))
    except ConnectorError as exc:
        structlog.get_logger("adwatch.connector").error("connector.failed", error=str(exc))
        return 1
    return 0
