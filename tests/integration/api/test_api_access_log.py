"""Access logs of a real server process: one JSON line per request, with its request id."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.api import support as s

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _lines(path: Path) -> list[dict[str, object]]:
    out = []
    for raw in path.read_text().splitlines():
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            continue  # the server's own start-up lines are plain text
        if isinstance(parsed, dict) and parsed.get("event") == "request":
            out.append(parsed)
    return out


def test_one_json_line_per_request_with_its_request_id(
    api_dsn: str, redis_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "api.log"
    auth = {"Authorization": f"Bearer {s.token('acme')}"}
    with s.run_api(s.api_env(api_dsn, redis_url), log) as url:
        ok = httpx.get(f"{url}/api/v1/devices", headers={**auth, "X-Request-ID": "trace-42"})
        missing = httpx.get(f"{url}/api/v1/devices/no-such-device", headers=auth)
        unauth = httpx.get(f"{url}/api/v1/devices")
        deadline = time.monotonic() + 10  # the writer thread flushes asynchronously
        while len(_lines(log)) < 4 and time.monotonic() < deadline:  # + the health poll(s)
            time.sleep(0.05)
    assert (ok.status_code, missing.status_code, unauth.status_code) == (200, 404, 401)
    by_id = {line["request_id"]: line for line in _lines(log)}
    first = by_id["trace-42"]
    assert first["route"] == "/api/v1/devices" and first["status"] == 200
    assert first["level"] == "info" and str(first["timestamp"]).endswith("Z")
    second = by_id[missing.headers["x-request-id"]]
    assert (second["route"], second["status"]) == ("/api/v1/devices/{device_id}", 404)
    assert by_id[unauth.headers["x-request-id"]]["status"] == 401
