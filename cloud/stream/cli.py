"""``adwatch-cloud stream worker``: run the Faust ingest processors."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

import structlog

from cloud.stream.config import StreamSettings, load_settings
from cloud.stream.errors import StreamError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="adwatch-cloud stream",
        description="Stream processors. Settings: --config TOML ([stream] table), then "
        "ADWATCH_* environment (ADWATCH_KAFKA_BOOTSTRAP, ADWATCH_PG_DSN, ADWATCH_REDIS_URL, "
        "...), then flags.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker", help="consume the ingest topics into the database and Redis")
    w.add_argument("--config", type=Path, help="TOML settings file")
    w.add_argument("--kafka", help="Kafka bootstrap host:port")
    w.add_argument("--pg-dsn", help="PostgreSQL DSN (libpq URL)")
    w.add_argument("--redis-url", help="Redis URL")
    w.add_argument("--topic-prefix", help="prefix of every Kafka topic name")
    w.add_argument("--app-id", help="Faust app id (= Kafka consumer group)")
    w.add_argument("--data-dir", help="Faust state directory")
    w.add_argument("--redis-prefix", help="prefix of the Redis hot-state keys")
    w.add_argument("--batch-size", type=int, help="max records per database transaction")
    w.add_argument("--batch-within", type=float, help="max seconds to wait to fill a batch")
    w.add_argument("--metrics-port", type=int, help="serve Prometheus metrics (0 = off)")
    w.add_argument("--metrics-interval", type=float, help="seconds between pipeline samples")
    w.add_argument("--log-level", help="debug, info, warning, error")
    return p


def _settings(args: argparse.Namespace) -> StreamSettings:
    return load_settings(
        args.config,
        os.environ,
        {
            "kafka_bootstrap": args.kafka,
            "pg_dsn": args.pg_dsn,
            "redis_url": args.redis_url,
            "topic_prefix": args.topic_prefix,
            "app_id": args.app_id,
            "data_dir": args.data_dir,
            "redis_prefix": args.redis_prefix,
            "batch_size": args.batch_size,
            "batch_within_s": args.batch_within,
            "metrics_port": args.metrics_port,
            "metrics_interval_s": args.metrics_interval,
            "log_level": args.log_level,
        },
    )


def _configure_logging(level: str) -> int:
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    return numeric


def run_worker(settings: StreamSettings) -> int:
    import faust

    from cloud.stream.app import build_app
    from cloud.stream.topics import ensure_topics

    level = _configure_logging(settings.log_level)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    asyncio.run(ensure_topics(settings))
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr="127.0.0.1")
    app = build_app(settings)
    worker = faust.Worker(
        app,
        loglevel=max(level, logging.WARNING),
        quiet=True,
        redirect_stdouts=False,
        workdir=settings.data_dir,
    )
    worker.execute_from_commandline()  # returns by SystemExit when stopped (SIGTERM/SIGINT)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except StreamError as exc:
        print(f"adwatch-cloud stream: {exc}", file=sys.stderr)
        return 2
    return run_worker(settings)
