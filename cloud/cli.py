"""``adwatch-cloud``: stream processing, storage and the read API."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.cli_dispatch import SubCommand, run

COMMANDS = {
    "stream": SubCommand("cloud.stream.cli", "run the Faust stream processors (stream worker)"),
    "db": SubCommand("cloud.db.cli", "migrate the database, run retention/upkeep"),
    "api": SubCommand("cloud.api.cli", "serve the Litestar read API"),
    "token": SubCommand("cloud.api.token_cli", "issue operator JWTs (token issue ...)"),
    "firmware": SubCommand("cloud.firmware.cli", "publish signed firmware manifests"),
}


def main(argv: Sequence[str] | None = None) -> int:
    return run("adwatch-cloud", __doc__ or "", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
