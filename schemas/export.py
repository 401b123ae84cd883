"""Export the contract as JSON Schema files for devices written in other languages.

python -m schemas.export            # (re)write schemas/json/
python -m schemas.export --check    # exit 1 if the checked-in files are stale
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import msgspec

from schemas.kafka import DeadLetter, IngestRecord
from schemas.messages import ALL_MESSAGES, Message, tag_of

JSON_DIR = Path(__file__).with_name("json")


def render() -> dict[str, str]:
    """File name -> exact file content, derived from the types."""
    docs: dict[str, Any] = {"message.json": msgspec.json.schema(Message)}
    for cls in ALL_MESSAGES:
        docs[f"{tag_of(cls).replace('_', '-')}.json"] = msgspec.json.schema(cls)
    docs["ingest-record.json"] = msgspec.json.schema(IngestRecord)
    docs["dead-letter.json"] = msgspec.json.schema(DeadLetter)
    return {name: json.dumps(doc, indent=2, sort_keys=True) + "\n" for name, doc in docs.items()}


def stale_files(directory: Path = JSON_DIR) -> list[str]:
    wanted = render()
    stale = [
        n
        for n, text in wanted.items()
        if not (directory / n).exists() or (directory / n).read_text() != text
    ]
    extra = [p.name for p in directory.glob("*.json") if p.name not in wanted]
    return sorted(stale + extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schemas.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    parser.add_argument("--dir", type=Path, default=JSON_DIR, help="output folder")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.dir)
        for name in stale:
            print(f"stale: {args.dir / name}")
        return 1 if stale else 0
    args.dir.mkdir(parents=True, exist_ok=True)
    for old in args.dir.glob("*.json"):
        old.unlink()
    for name, text in render().items():
        (args.dir / name).write_text(text)
        print(f"wrote {args.dir / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
