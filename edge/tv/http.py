"""A tiny blocking HTTP helper run in a thread (stdlib only, every call has a timeout)."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from dataclasses import dataclass

from edge.tv.errors import TvCommandError


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: bytes


def _request(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
) -> HttpReply:
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return HttpReply(resp.status, resp.read())
    except urllib.error.HTTPError as exc:
        raise TvCommandError(f"{method} {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TvCommandError(f"{method} {url}: unreachable ({reason})") from exc


async def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 3.0,
) -> HttpReply:
    return await asyncio.to_thread(_request, method, url, body, headers or {}, timeout_s)
