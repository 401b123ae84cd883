"""``adwatch-cloud token issue``: sign an operator JWT for one tenant and role."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cloud.api import settings as settings_mod
from cloud.api.auth.tokens import ROLES, issue
from cloud.api.errors import ConfigError


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="adwatch-cloud token",
        description="Issue bearer tokens for the read API, signed with the API's JWT settings "
        "(ADWATCH_API_JWT_* or --config).",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = sub.add_parser("issue", help="print a signed token", description="Print a signed token.")
    p.add_argument("--tenant", required=True, help="tenant id the token is scoped to")
    p.add_argument("--role", required=True, choices=ROLES, help="viewer or admin")
    p.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    p.add_argument("--subject", default="", help="who the token is for (default: $USER)")
    p.add_argument("--config", type=Path, help="TOML settings file (the API's)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        settings = settings_mod.load(args.config, dict(os.environ))
        subject = args.subject or os.environ.get("USER", "operator")
        token = issue(
            settings.jwt, tenant=args.tenant, role=args.role, ttl_s=args.ttl, subject=subject
        )
    except ConfigError as exc:
        print(f"adwatch-cloud token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
