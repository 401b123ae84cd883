"""Bearer tokens: every bad token is a 401; roles gate admin-only fields; probes need none."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.integration.api.support import (
    SECRET,
    api_env,
    auth,
    run_api,
    seed_device,
    seed_tenant,
    token,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def api(api_dsn: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with psycopg.connect(api_dsn, autocommit=True) as conn:
        seed_tenant(conn, "acme", ["bar"])
        seed_device(conn, "acme", "bar", "tv-1")
        conn.execute(
            "INSERT INTO device_credentials (tenant_id, device_id, username, password_hash)"
            " VALUES ('acme', 'tv-1', 'acme-tv-1', '$argon2id$v=19$secret-hash')"
        )
    log = tmp_path_factory.mktemp("api") / "api.log"
    with run_api(api_env(api_dsn, redis_url), log) as url:
        yield url


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _alg_none(tenant: str) -> str:
    now = int(time.time())
    claims = {
        "iss": "adwatch",
        "aud": "adwatch-api",
        "sub": "x",
        "iat": now,
        "exp": now + 600,
        "tenant": tenant,
        "role": "admin",
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "expired": lambda: token("acme", ttl=-120),
    "wrong_signature": lambda: token("acme", key="another-secret-another-secret-0123456"),
    "wrong_audience": lambda: token("acme", aud="someone-else"),
    "wrong_issuer": lambda: token("acme", iss="evil"),
    "alg_none": lambda: _alg_none("acme"),
    "no_tenant": lambda: token(None),
    "bad_role": lambda: token("acme", "root"),
    "garbage": lambda: "not-a-jwt",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_tokens_are_401(api: str, kind: str) -> None:
    for path in ("/api/v1/devices", "/api/v1/devices/tv-1", "/api/v1/locations"):
        resp = httpx.get(api + path, headers=auth(BAD_TOKENS[kind]()))
        assert resp.status_code == 401, (kind, path, resp.text)
        assert resp.headers["www-authenticate"].startswith("Bearer")
        assert "tv-1" not in resp.text


def test_missing_token_is_401(api: str) -> None:
    assert httpx.get(api + "/api/v1/devices").status_code == 401
    assert (
        httpx.get(api + "/api/v1/devices", headers={"Authorization": "Basic eDp5"}).status_code
        == 401
    )


def test_valid_token_reads(api: str) -> None:
    resp = httpx.get(api + "/api/v1/devices", headers=auth(token("acme")))
    assert resp.status_code == 200
    assert [d["id"] for d in resp.json()["items"]] == ["tv-1"]
    assert resp.headers["x-request-id"]


def test_only_admin_sees_credentials(api: str) -> None:
    viewer = httpx.get(api + "/api/v1/devices/tv-1", headers=auth(token("acme", "viewer"))).json()
    admin = httpx.get(api + "/api/v1/devices/tv-1", headers=auth(token("acme", "admin"))).json()
    assert viewer["credentials"] is None
    assert admin["credentials"] == [
        {
            "username": "acme-tv-1",
            "created_at": admin["credentials"][0]["created_at"],
            "rotated_at": None,
        }
    ]
    assert "argon2" not in json.dumps(admin)  # the hash never leaves the database


def test_other_tenant_token_gets_404_not_403(api: str) -> None:
    resp = httpx.get(api + "/api/v1/devices/tv-1", headers=auth(token("globex", "admin")))
    assert resp.status_code == 404
    assert httpx.get(api + "/api/v1/devices", headers=auth(token("globex"))).json()["items"] == []


def test_probes_and_docs_need_no_token(api: str) -> None:
    assert httpx.get(api + "/health").json() == {"status": "ok"}
    ready = httpx.get(api + "/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}
    schema = httpx.get(api + "/schema/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/devices/{device_id}/health" in schema["paths"]
    metrics = httpx.get(api + "/metrics").text
    assert "api_requests_total" in metrics and "api_request_duration_seconds" in metrics


def test_token_cli_issues_verifiable_tokens(
    api: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cloud.api.token_cli import main

    monkeypatch.setenv("ADWATCH_API_JWT_SECRET", SECRET)
    assert main(["issue", "--tenant", "acme", "--role", "admin", "--ttl", "60"]) == 0
    issued = capsys.readouterr().out.strip()
    resp = httpx.get(api + "/api/v1/devices/tv-1", headers=auth(issued))
    assert resp.status_code == 200 and resp.json()["credentials"] is not None


def test_validation_errors_are_400(api: str, tmp_path: Path) -> None:
    h = auth(token("acme"))
    for path in (
        "/api/v1/devices?limit=0",
        "/api/v1/devices?status=broken",
        "/api/v1/devices?cursor=%%%",
        "/api/v1/devices/tv-1/health?bucket=7m",
        "/api/v1/devices/tv-1/health?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "/api/v1/analytics/ad-breaks?group_by=planet",
        "/api/v1/devices/TV%00",
    ):
        resp = httpx.get(api + path, headers=h)
        assert resp.status_code == 400, (path, resp.text)
        assert resp.json()["detail"]
