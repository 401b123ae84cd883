"""HTTP Range (RFC 9110 §14) for artifact downloads, as pure functions.

One ``bytes=`` range is honoured (``a-b``, ``a-``, ``-n``); a multi-range request
gets the whole file (allowed by the RFC and enough for resuming downloads). An
``If-Range`` that does not match the current strong ETag also gets the whole file.
"""

from __future__ import annotations

import re

import msgspec

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class ByteRange(msgspec.Struct, frozen=True):
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The range lies outside the file (HTTP 416)."""


def parse_range(
    header: str | None, size: int, *, if_range: str | None, etag: str
) -> ByteRange | None:
    """The single range to serve, None for the whole file; raises Unsatisfiable."""
    if header is None or (if_range is not None and if_range.strip() != etag):
        return None
    match = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        return None  # malformed or multiple ranges: ignore the header, serve it all
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last n bytes
        n = int(last)
        if n == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - n), size - 1)
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    if start >= size or (last and int(last) < start):
        raise Unsatisfiable
    return ByteRange(start, end)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
