"""``adwatch-cloud api``: serve the read API under uvicorn (``--workers`` processes)."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path

import msgspec

from cloud.api import settings as settings_mod
from cloud.api.errors import ConfigError


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="adwatch-cloud api",
        description="Serve the adwatch read API (Litestar under uvicorn). Settings come from "
        "--config (TOML, optional [api] table) and ADWATCH_API_* / ADWATCH_PG_DSN / "
        "ADWATCH_REDIS_URL environment variables; flags override both.",
    )
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8080)")
    parser.add_argument("--workers", type=int, help="server processes (default 1)")
    parser.add_argument("--log-level", help="debug|info|warning|error")
    parser.add_argument("--no-access-log", action="store_true", help="disable access logs")
    return parser.parse_args(argv)


def resolve(args: argparse.Namespace, env: dict[str, str]) -> settings_mod.ApiSettings:
    settings = settings_mod.load(args.config, env)
    overrides = {
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "log_level": args.log_level,
        "access_log": False if args.no_access_log else None,
    }
    settings = msgspec.structs.replace(
        settings, **{k: v for k, v in overrides.items() if v is not None}
    )
    settings_mod.check(settings)
    return settings


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        settings = resolve(args, dict(os.environ))
    except ConfigError as exc:
        print(f"adwatch-cloud api: {exc}")
        return 2
    from cloud.api.app import SETTINGS_ENV

    os.environ[SETTINGS_ENV] = settings_mod.encode(settings)
    with contextlib.ExitStack() as stack:
        if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            # Workers share their metric samples through files here; removed on exit.
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="adwatch-api-metrics-"))
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tmp
        _serve(settings)
    return 0


def _serve(settings: settings_mod.ApiSettings) -> None:
    import uvicorn

    uvicorn.run(
        "cloud.api.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level=settings.log_level,
        server_header=False,
    )
