"""``adwatch-cloud firmware``: ``keygen`` a signing key, ``publish`` a release."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import msgspec

from cloud.firmware.errors import FirmwareError


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="adwatch-cloud firmware", description="Publish signed firmware releases."
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    kg = sub.add_parser(
        "keygen",
        help="create an Ed25519 signing key",
        description="Write a new Ed25519 private key (PEM) and print its public key.",
    )
    kg.add_argument("--out", type=Path, required=True, help="private key file to create")
    p = sub.add_parser(
        "publish",
        help="store, sign and announce a release",
        description="Copy the artifact to the firmware folder, record it in PostgreSQL, and "
        "publish the signed FirmwareManifest retained on "
        "adwatch/v1/{tenant}/ota/{channel}/{hardware}.",
    )
    p.add_argument("--tenant", required=True)
    p.add_argument("--channel", required=True, help="e.g. stable, beta")
    p.add_argument("--hardware", required=True, help="e.g. rpi4")
    p.add_argument("--version", required=True)
    p.add_argument("--file", type=Path, required=True, help="the firmware artifact")
    p.add_argument("--key", type=Path, required=True, help="Ed25519 private key (PEM)")
    p.add_argument("--notes", default="")
    p.add_argument("--dsn", default=env.get("ADWATCH_PG_DSN"), help="PostgreSQL (ADWATCH_PG_DSN)")
    p.add_argument(
        "--firmware-dir",
        type=Path,
        default=Path(env.get("ADWATCH_API_FIRMWARE_DIR", "run/firmware")),
        help="artifact folder the API serves (ADWATCH_API_FIRMWARE_DIR)",
    )
    p.add_argument("--mqtt-host", default=env.get("ADWATCH_MQTT_HOST", "127.0.0.1"))
    p.add_argument("--mqtt-port", type=int, default=int(env.get("ADWATCH_MQTT_PORT", "1883")))
    p.add_argument("--mqtt-username", default=env.get("ADWATCH_MQTT_USERNAME"))
    p.add_argument("--mqtt-password", default=env.get("ADWATCH_MQTT_PASSWORD"))
    p.add_argument(
        "--url-base",
        default=env.get("ADWATCH_FIRMWARE_URL_BASE", "http://127.0.0.1:8080"),
        help="public base URL of the read API (ADWATCH_FIRMWARE_URL_BASE)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from cloud.firmware import signing

    try:
        if args.action == "keygen":
            print(signing.public_pem(signing.generate_key(args.out)), end="")
            return 0
        from cloud.firmware.publish import Request, Target, publish

        if not args.dsn:
            raise FirmwareError("no database: pass --dsn or set ADWATCH_PG_DSN")
        target = Target(
            args.dsn,
            args.firmware_dir,
            args.mqtt_host,
            args.mqtt_port,
            args.url_base,
            args.mqtt_username,
            args.mqtt_password,
        )
        req = Request(args.tenant, args.channel, args.hardware, args.version, args.file, args.notes)
        manifest = publish(target, req, signing.load_private_key(args.key))
    except (FirmwareError, FileExistsError) as exc:
        print(f"adwatch-cloud firmware: {exc}", file=sys.stderr)
        return 1
    print(msgspec.json.encode(manifest).decode())
    return 0
