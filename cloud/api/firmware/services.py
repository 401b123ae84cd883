"""Firmware releases of the caller's tenant; only admins see rollout internals."""

from __future__ import annotations

from pathlib import Path

import anyio

from cloud.api.db import Database, Row
from cloud.api.errors import NotFound
from cloud.api.firmware.schemas import Artifact, ManifestList, ManifestView, RolloutView
from cloud.firmware.store import artifact_path

_COLUMNS = "id, version, channel, hardware, sha256, size, signature, notes, released_at"

_LATEST = f"""
SELECT DISTINCT ON (channel, hardware) {_COLUMNS}
FROM firmware
WHERE tenant_id = %(tenant)s
  AND (%(channel)s::text IS NULL OR channel = %(channel)s::text)
  AND (%(hardware)s::text IS NULL OR hardware = %(hardware)s::text)
ORDER BY channel, hardware, released_at DESC, id DESC
"""

_HISTORY = f"""
SELECT {_COLUMNS}
FROM firmware
WHERE tenant_id = %(tenant)s
  AND (%(channel)s::text IS NULL OR channel = %(channel)s::text)
  AND (%(hardware)s::text IS NULL OR hardware = %(hardware)s::text)
ORDER BY released_at DESC, id DESC LIMIT %(limit)s
"""

_ROLLOUTS = """
SELECT firmware_id, id, state, percent, created_at, updated_at
FROM rollouts WHERE tenant_id = %(tenant)s AND firmware_id = ANY(%(ids)s)
ORDER BY created_at
"""

_ARTIFACT = """
SELECT id, version, artifact_path, sha256, size FROM firmware
WHERE tenant_id = %(tenant)s AND id = %(firmware)s
"""


class FirmwareService:
    def __init__(self, db: Database, firmware_dir: Path) -> None:
        self._db = db
        self._dir = firmware_dir

    async def latest(
        self, tenant: str, channel: str | None, hardware: str | None, *, admin: bool
    ) -> ManifestList:
        rows = await self._db.rows(
            _LATEST, {"tenant": tenant, "channel": channel, "hardware": hardware}
        )
        return await self._views(tenant, rows, admin)

    async def history(
        self, tenant: str, channel: str | None, hardware: str | None, limit: int, *, admin: bool
    ) -> ManifestList:
        params = {"tenant": tenant, "channel": channel, "hardware": hardware, "limit": limit}
        return await self._views(tenant, await self._db.rows(_HISTORY, params), admin)

    async def _views(self, tenant: str, rows: list[Row], admin: bool) -> ManifestList:
        rollouts: dict[str, list[RolloutView]] = {}
        if admin and rows:
            for r in await self._db.rows(
                _ROLLOUTS, {"tenant": tenant, "ids": [r[0] for r in rows]}
            ):
                rollouts.setdefault(r[0], []).append(
                    RolloutView(id=r[1], state=r[2], percent=r[3], created_at=r[4], updated_at=r[5])
                )
        items = [
            ManifestView(
                id=r[0],
                version=r[1],
                channel=r[2],
                hardware=r[3],
                sha256=r[4],
                size=r[5],
                signature=r[6],
                notes=r[7],
                released_at=r[8],
                artifact_url=artifact_path(r[0]),
                rollouts=rollouts.get(r[0], []) if admin else None,
            )
            for r in rows
        ]
        return ManifestList(items=items)

    async def artifact(self, tenant: str, firmware: str) -> Artifact:
        row = await self._db.row(_ARTIFACT, {"tenant": tenant, "firmware": firmware})
        if row is None:
            raise NotFound(f"no firmware {firmware!r}")
        path = Path(row[2])
        if not path.is_absolute():
            path = self._dir / path
        if not await anyio.Path(path).is_file():
            raise NotFound(f"the artifact of firmware {firmware!r} is missing")
        return Artifact(id=row[0], version=row[1], path=str(path), sha256=row[3], size=row[4])
