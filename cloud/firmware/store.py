"""Storing a release: the artifact file (atomically) and its ``firmware`` row."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from cloud.firmware.errors import FirmwareError


def artifact_path(firmware_id: str) -> str:
    """The API path that serves a release's file; signed manifests carry it, so it lives once."""
    return f"/api/v1/firmware/{firmware_id}/artifact"


CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Release:
    firmware_id: str
    tenant: str
    version: str
    channel: str
    hardware: str
    sha256: str
    size: int
    artifact_path: str  # relative to the firmware directory
    released_at: datetime
    notes: str = ""


def digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    h, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise FirmwareError(f"cannot read {path}: {exc}") from exc
    return h.hexdigest(), size


def new_firmware_id() -> str:
    return f"fw-{uuid.uuid4().hex[:24]}"


def copy_artifact(src: Path, firmware_dir: Path, tenant: str, firmware_id: str) -> str:
    """Copy into ``<dir>/<tenant>/<id>.bin`` via a temporary file and rename."""
    rel = Path(tenant) / f"{firmware_id}.bin"
    dest = firmware_dir / rel
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except OSError as exc:
        raise FirmwareError(f"cannot store the artifact in {firmware_dir}: {exc}") from exc
    return str(rel)


_EXISTING = """
SELECT id, sha256, size, artifact_path, released_at, notes FROM firmware
WHERE tenant_id = %s AND channel = %s AND hardware = %s AND version = %s
"""

_INSERT = """
INSERT INTO firmware (id, tenant_id, version, channel, hardware, sha256, size, artifact_path,
                      signature, notes, released_at)
VALUES (%(id)s, %(tenant)s, %(version)s, %(channel)s, %(hardware)s, %(sha256)s, %(size)s,
        %(path)s, %(signature)s, %(notes)s, %(released_at)s)
"""


def existing(
    conn: psycopg.Connection[Any], tenant: str, channel: str, hardware: str, version: str
) -> tuple[Any, ...] | None:
    return conn.execute(_EXISTING, (tenant, channel, hardware, version)).fetchone()


def insert(conn: psycopg.Connection[Any], release: Release, signature: str) -> None:
    try:
        conn.execute(
            _INSERT,
            {
                "id": release.firmware_id,
                "tenant": release.tenant,
                "version": release.version,
                "channel": release.channel,
                "hardware": release.hardware,
                "sha256": release.sha256,
                "size": release.size,
                "path": release.artifact_path,
                "signature": signature,
                "notes": release.notes,
                "released_at": release.released_at,
            },
        )
    except psycopg.Error as exc:
        raise FirmwareError(f"cannot record the release: {exc}") from exc
