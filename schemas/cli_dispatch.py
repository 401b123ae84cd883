"""One way to build the three console scripts: a table of sub-commands, each a module.

Each sub-command lives in its own module exposing ``main(argv: list[str]) -> int``
and parses its own arguments, so ``adwatch-edge detect --help`` imports only what
``detect`` needs (a Raspberry Pi has no Faust, the cloud has no OpenCV).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SubCommand:
    module: str
    help: str


def run(
    prog: str,
    description: str,
    commands: Mapping[str, SubCommand],
    argv: Sequence[str] | None = None,
) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, cmd in commands.items():
        sub.add_parser(name, help=cmd.help, add_help=False)
    if not args or args[0] not in commands:
        # argparse prints help / a clear error for unknown commands and exits.
        parser.parse_args(args or ["--help"])
        return 2
    name, rest = args[0], args[1:]
    module = importlib.import_module(commands[name].module)
    entry: Callable[[list[str]], int] = module.main
    return entry(rest)
