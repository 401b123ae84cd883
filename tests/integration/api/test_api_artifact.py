"""Firmware artifacts: Range requests resume an interrupted download byte-exactly."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.integration.api import support as s

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SIZE = 300_001


@pytest.fixture(scope="module")
def served(
    api_dsn: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, bytes]]:
    root = tmp_path_factory.mktemp("fw")
    data = os.urandom(SIZE)
    (root / "acme-fw-2.bin").write_bytes(data)
    with psycopg.connect(api_dsn, autocommit=True) as conn:
        s.seed_tenant(conn, "acme", ["bar"])
        s.seed_tenant(conn, "globex", ["pub"])
        s.seed_firmware(
            conn, "acme", "fw-2", "acme-fw-2.bin", hashlib.sha256(data).hexdigest(), SIZE
        )
    env = s.api_env(
        api_dsn,
        redis_url,
        ADWATCH_API_FIRMWARE_DIR=str(root),
        ADWATCH_API_RATE_LIMIT_ENABLED="false",
    )
    with s.run_api(env, root / "api.log") as url:
        yield url, data


def _get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(
        url + "/api/v1/firmware/fw-2/artifact", headers={**s.auth(s.token("acme")), **headers}
    )


def test_whole_file_with_strong_etag_and_digest(served: tuple[str, bytes]) -> None:
    url, data = served
    resp = _get(url)
    digest = hashlib.sha256(data).hexdigest()
    assert resp.status_code == 200 and resp.content == data
    assert resp.headers["etag"] == f'"{digest}"'
    assert resp.headers["x-checksum-sha256"] == digest
    assert (
        resp.headers["repr-digest"]
        == f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"
    )
    assert resp.headers["accept-ranges"] == "bytes"
    assert int(resp.headers["content-length"]) == SIZE


def test_interrupted_download_resumes_byte_exactly(served: tuple[str, bytes]) -> None:
    url, data = served
    got = bytearray()
    with (
        httpx.Client() as client,
        client.stream(
            "GET", url + "/api/v1/firmware/fw-2/artifact", headers=s.auth(s.token("acme"))
        ) as resp,
    ):
        etag = resp.headers["etag"]
        for chunk in resp.iter_bytes():
            got += chunk
            if len(got) > 100_000:
                break  # the connection drops mid-way
    rest = _get(url, Range=f"bytes={len(got)}-", **{"If-Range": etag})
    assert rest.status_code == 206
    assert rest.headers["content-range"] == f"bytes {len(got)}-{SIZE - 1}/{SIZE}"
    assert bytes(got) + rest.content == data
    assert (
        hashlib.sha256(bytes(got) + rest.content).hexdigest() == rest.headers["x-checksum-sha256"]
    )


def test_ranges_and_conditionals(served: tuple[str, bytes]) -> None:
    url, data = served
    assert _get(url, Range="bytes=10-19").content == data[10:20]
    assert _get(url, Range="bytes=-7").content == data[-7:]
    assert _get(url, Range=f"bytes=5-{SIZE + 50}").content == data[5:]
    unsat = _get(url, Range=f"bytes={SIZE}-")
    assert unsat.status_code == 416 and unsat.headers["content-range"] == f"bytes */{SIZE}"
    stale = _get(url, Range="bytes=0-9", **{"If-Range": '"0000"'})
    assert stale.status_code == 200 and stale.content == data  # changed file: start over
    etag = _get(url, Range="bytes=0-0").headers["etag"]
    assert _get(url, **{"If-None-Match": etag}).status_code == 304


def test_other_tenant_and_missing_are_404(served: tuple[str, bytes]) -> None:
    url, _ = served
    resp = httpx.get(url + "/api/v1/firmware/fw-2/artifact", headers=s.auth(s.token("globex")))
    assert resp.status_code == 404
    resp = httpx.get(url + "/api/v1/firmware/fw-9/artifact", headers=s.auth(s.token("acme")))
    assert resp.status_code == 404


def test_manifest_lists_the_release(served: tuple[str, bytes], tmp_path: Path) -> None:
    url, _data = served
    items = httpx.get(url + "/api/v1/firmware/manifests", headers=s.auth(s.token("acme"))).json()[
        "items"
    ]
    assert [(m["id"], m["size"], m["artifact_url"]) for m in items] == [
        ("fw-2", SIZE, "/api/v1/firmware/fw-2/artifact")
    ]
    assert items[0]["rollouts"] is None  # viewer: no rollout internals
