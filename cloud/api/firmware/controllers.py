"""``/api/v1/firmware``: release manifests and resumable artifact downloads."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream

from cloud.api.deps import Caller, Firmware
from cloud.api.firmware.ranges import ByteRange, Unsatisfiable, etag_matches, parse_range
from cloud.api.firmware.schemas import Artifact, ManifestList
from cloud.api.openapi import AUTHED, AUTHED_ONE
from cloud.api.params import ID_PATTERN

CHUNK = 64 * 1024
Ident = Annotated[str | None, Parameter(pattern=ID_PATTERN, max_length=63)]
ARTIFACT_RESPONSES = {
    **AUTHED_ONE,
    206: ResponseSpec(
        data_container=bytes,
        media_type="application/octet-stream",
        description="The requested byte range",
        generate_examples=False,
    ),
    304: ResponseSpec(data_container=None, description="Not modified (If-None-Match)"),
    416: ResponseSpec(data_container=None, description="Range not satisfiable"),
}


async def _chunks(path: str, rng: ByteRange) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as fh:
        await fh.seek(rng.start)
        left = rng.length
        while left > 0:
            data = await fh.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


def _headers(art: Artifact, etag: str) -> dict[str, str]:
    b64 = base64.b64encode(bytes.fromhex(art.sha256)).decode()
    return {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "X-Checksum-SHA256": art.sha256,
        "Repr-Digest": f"sha-256=:{b64}:",
        "Cache-Control": "private, max-age=0, must-revalidate",
        "Content-Disposition": f'attachment; filename="{art.id}.bin"',
    }


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


def artifact_response(request: Request[Any, Any, Any], art: Artifact) -> Stream:
    etag = f'"{art.sha256}"'  # strong: the bytes' own hash
    headers = _headers(art, etag)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Stream(_nothing(), status_code=304, headers=headers)
    try:
        rng = parse_range(
            request.headers.get("range"),
            art.size,
            if_range=request.headers.get("if-range"),
            etag=etag,
        )
    except Unsatisfiable:
        headers.update({"Content-Range": f"bytes */{art.size}", "Content-Length": "0"})
        return Stream(_nothing(), status_code=416, headers=headers)
    status = 200 if rng is None else 206
    rng = rng or ByteRange(0, art.size - 1)
    headers["Content-Length"] = str(max(rng.length, 0))
    if status == 206:
        headers["Content-Range"] = f"bytes {rng.start}-{rng.end}/{art.size}"
    return Stream(
        _chunks(art.path, rng),
        status_code=status,
        headers=headers,
        media_type="application/octet-stream",
    )


class FirmwareController(Controller):
    path = "/api/v1/firmware"
    tags = ["firmware"]

    @get(
        "/manifests",
        operation_id="listLatestManifests",
        responses=AUTHED,
        summary="The latest release per channel and hardware",
    )
    async def latest(
        self,
        principal: Caller,
        firmware: Firmware,
        channel: Ident = None,
        hardware: Ident = None,
    ) -> ManifestList:
        return await firmware.latest(principal.tenant, channel, hardware, admin=principal.is_admin)

    @get(
        "/manifests/history",
        operation_id="listManifestHistory",
        responses=AUTHED,
        summary="All releases, newest first",
    )
    async def history(
        self,
        principal: Caller,
        firmware: Firmware,
        channel: Ident = None,
        hardware: Ident = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> ManifestList:
        return await firmware.history(
            principal.tenant, channel, hardware, limit, admin=principal.is_admin
        )

    @get(
        "/{firmware_id:str}/artifact",
        operation_id="downloadArtifact",
        responses=ARTIFACT_RESPONSES,
        summary="The firmware file; supports Range, If-Range and If-None-Match",
        media_type="application/octet-stream",
        response_description="The artifact (whole file)",
    )
    async def artifact(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        firmware: Firmware,
        firmware_id: Annotated[str, Parameter(pattern=ID_PATTERN, max_length=63)],
    ) -> Stream:
        art = await firmware.artifact(principal.tenant, firmware_id)
        return artifact_response(request, art)
