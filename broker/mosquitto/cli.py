"""``adwatch-broker mosquitto-config``: write mosquitto.conf, passwd and acl for a venue."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from broker.errors import BrokerError
from broker.mosquitto.config import MosquittoSettings, render
from broker.settings_io import load_section
from broker.venue.passwords import load_password_file


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adwatch-broker mosquitto-config",
        description="Generate a Mosquitto 2.0 config (listener, password file, ACL, native "
        "cloud bridge) equivalent to the adwatch venue broker. Settings: [mosquitto] of the "
        "TOML file, overridden by ADWATCH_MOSQUITTO_* variables.",
    )
    parser.add_argument("--config", required=True, help="TOML file with a [mosquitto] table")
    parser.add_argument("--out", required=True, help="folder to write the three files into")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_section(MosquittoSettings, args.config, "mosquitto", "ADWATCH_MOSQUITTO_")
        load_password_file(settings.password_file)  # refuse a malformed file now, not at start
        write(settings, Path(args.out))
    except (BrokerError, ValueError, OSError) as exc:
        print(f"adwatch-broker mosquitto-config: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}/mosquitto.conf, passwd, acl")
    return 0


def write(settings: MosquittoSettings, out: Path) -> Path:
    """Write the files (passwd and conf readable by the owner only); return the conf path."""
    out.mkdir(parents=True, exist_ok=True)
    passwd, acl, conf = out / "passwd", out / "acl", out / "mosquitto.conf"
    files = render(settings, str(passwd.resolve()), str(acl.resolve()))
    shutil.copyfile(settings.password_file, passwd)
    acl.write_text(files.acl)
    conf.write_text(files.conf)
    for path in (passwd, conf):  # conf may hold the cloud password
        os.chmod(path, 0o600)
    return conf
