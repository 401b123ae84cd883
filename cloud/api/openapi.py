"""OpenAPI pieces shared by the controllers: the error body and documented error codes."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """Every 4xx/5xx body: the status, a human-readable reason and optional details."""

    status_code: int
    detail: str
    extra: dict[str, Any] | list[Any] | None = None


def _spec(text: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=text)


#: Codes every authenticated route may answer besides its 2xx.
AUTHED: dict[int, ResponseSpec] = {
    400: _spec("Invalid parameters"),
    401: _spec("Missing, expired or invalid bearer token"),
    429: _spec("Rate limit exceeded; see Retry-After"),
    503: _spec("A backing service is unavailable"),
}
#: ... and routes addressing one resource by id.
AUTHED_ONE: dict[int, ResponseSpec] = {**AUTHED, 404: _spec("No such resource in this tenant")}
