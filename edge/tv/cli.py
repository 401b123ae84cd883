"""``adwatch-edge tv try --config FILE ACTION``: act once through the configured chain.

Installers use it to check the wiring without waiting for a break. It prints which
controller acted, or why each one failed; the exit code is 1 when all of them failed
and 2 for a configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tomllib
from pathlib import Path

import msgspec

from edge.tv.base import TvAction
from edge.tv.chain import ChainResult, TvSettings, build_chain
from edge.tv.errors import TvConfigError

ACTIONS = {"mute", "unmute", "input", "channel", "power-on", "standby", "check"}


def parse_action(words: list[str]) -> TvAction:
    if not words or words[0] not in ACTIONS - {"check"}:
        raise ValueError(f"ACTION must be one of {sorted(ACTIONS)}, got {' '.join(words)!r}")
    kind, rest = words[0], words[1:]
    if kind in ("input", "channel"):
        if len(rest) != 1:
            raise ValueError(f"`{kind}` takes exactly one argument")
        return TvAction(kind, rest[0])  # type: ignore[arg-type]
    if rest:
        raise ValueError(f"`{kind}` takes no argument")
    return TvAction("power_on" if kind == "power-on" else kind)  # type: ignore[arg-type]


def load_tv_settings(path: Path) -> TvSettings:
    """The ``[tv]`` table of a worker config file."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TvConfigError(f"{path}: {exc}") from exc
    try:
        return msgspec.convert(data.get("tv", {}), TvSettings)
    except msgspec.ValidationError as exc:
        raise TvConfigError(f"{path} [tv]: {exc}") from exc


def _print_result(result: ChainResult) -> None:
    for attempt in result.attempts:
        status = "OK" if attempt.ok else f"FAILED: {attempt.error}"
        print(f"  {attempt.controller}: {status}")
    print(result.describe())


async def _run(settings: TvSettings, words: list[str]) -> int:
    chain = build_chain(settings)
    try:
        if words == ["check"]:
            attempts = await chain.check()
            for a in attempts:
                print(f"  {a.controller}: {'reachable' if a.ok else 'FAILED: ' + a.error}")
            return 0 if any(a.ok for a in attempts) else 1
        result = await chain.perform(parse_action(words))
        _print_result(result)
        return 0 if result.ok else 1
    finally:
        await chain.aclose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="adwatch-edge tv",
        description="Check TV control wiring: act once through the configured controller chain.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    try_ = sub.add_parser("try", help="perform one action and report which controller acted")
    try_.add_argument("--config", type=Path, required=True, help="worker config file (TOML)")
    try_.add_argument(
        "action",
        nargs="+",
        metavar="ACTION",
        help="mute | unmute | input NAME | channel N | power-on | standby | check",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_tv_settings(args.config)
        if args.action != ["check"]:
            parse_action(args.action)
        return asyncio.run(_run(settings, args.action))
    except (TvConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
