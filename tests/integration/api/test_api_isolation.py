"""Property: for random data of two tenants, A's token never sees a row of B's, on any endpoint.

Ids deliberately overlap between the tenants (same device and location ids), and B's
values are recognisable (cpu >= 50, 'b-' channels, frames >= 1000, 'hw-b' hardware),
so a leak shows up either as an extra row or as a B value in a row A also has.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.api import support as s

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

LOCS = ["l1", "l2", "l3"]
DEVS = ["d1", "d2", "d3", "d4", "d5"]
SERIES = ("device_health", "telemetry", "ad_events")


def _device(prefix: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "location": st.sampled_from(LOCS),
            "hardware": st.sampled_from([f"hw-{prefix}1", f"hw-{prefix}2"]),
            "status": st.sampled_from(["online", "offline", "unknown"]),
            "health": st.lists(st.integers(0, 600), max_size=4),  # minutes ago
            "breaks": st.lists(
                st.tuples(st.sampled_from(["ch1", "ch2"]), st.integers(1, 600)), max_size=3
            ),
            "telemetry": st.integers(0, 3),
        }
    )


def _tenant(prefix: str) -> st.SearchStrategy[dict[str, dict[str, Any]]]:
    return st.dictionaries(st.sampled_from(DEVS), _device(prefix), max_size=5)


@pytest.fixture(scope="module")
def env(
    api_dsn: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], psycopg.Connection[Any], redis.Redis[bytes]]]:
    settings_env = s.api_env(api_dsn, redis_url, ADWATCH_API_RATE_LIMIT_ENABLED="false")
    log = tmp_path_factory.mktemp("api") / "api.log"
    with (
        psycopg.connect(api_dsn, autocommit=True) as conn,
        redis.Redis.from_url(redis_url) as rd,
        s.run_api(settings_env, log) as url,
    ):
        yield url, settings_env, conn, rd


def _reset(conn: psycopg.Connection[Any]) -> None:
    for table in SERIES:
        conn.execute(f"DELETE FROM {table} WHERE tenant_id IN ('ta', 'tb')")
    conn.execute("DELETE FROM rollouts WHERE tenant_id IN ('ta', 'tb')")
    conn.execute("DELETE FROM tenants WHERE id IN ('ta', 'tb')")


def _seed(conn: psycopg.Connection[Any], tenant: str, prefix: str, devs: dict[str, Any]) -> None:
    s.seed_tenant(conn, tenant, LOCS)
    for dev, d in devs.items():
        s.seed_device(conn, tenant, d["location"], dev, hardware=d["hardware"], status=d["status"])
        for i, ago in enumerate(d["health"]):
            cpu = (7 * i) % 50 + (0 if prefix == "a" else 50)
            s.seed_health(conn, tenant, d["location"], dev, cpu, ago)
        for ch, ago in d["breaks"]:
            s.seed_break(conn, tenant, d["location"], dev, f"{prefix}-{ch}", ago)
        for i in range(d["telemetry"]):
            frames = 10 + i if prefix == "a" else 1000 + i
            s.seed_telemetry(conn, tenant, d["location"], dev, frames, 5 + i)
    fw = f"fw-{prefix}-1"
    s.seed_firmware(conn, tenant, fw, "/nonexistent", "0" * 64, 1)
    conn.execute(
        "INSERT INTO rollouts (id, tenant_id, firmware_id, channel, hardware) "
        "VALUES (%s, %s, %s, 'stable', 'rpi4')",
        (f"ro-{prefix}", tenant, fw),
    )


def _invalidate(rd: redis.Redis[bytes], prefix: str, tenant: str) -> None:
    rd.incr(f"{prefix}:{{{tenant}}}:gen")  # what cloud.api.cache.invalidate_tenant does


def _all_devices(client: httpx.Client) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/devices", params=params).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _check_devices(client: httpx.Client, a: dict[str, Any], b: dict[str, Any]) -> None:
    listed = _all_devices(client)
    assert {(d["id"], d["hardware"]) for d in listed} == {(k, v["hardware"]) for k, v in a.items()}
    for dev in set(b) - set(a):
        for sub in ("", "/health", "/telemetry"):
            assert client.get(f"/api/v1/devices/{dev}{sub}").status_code == 404
    for dev, d in a.items():
        detail = client.get(f"/api/v1/devices/{dev}").json()
        assert (detail["hardware"], detail["location_id"]) == (d["hardware"], d["location"])
        assert [c["username"] for c in detail["credentials"]] == []
        for bucket in ("5m", "1h"):
            pts = client.get(f"/api/v1/devices/{dev}/health", params={"bucket": bucket}).json()[
                "points"
            ]
            assert all(p["cpu_max"] < 50 for p in pts)
        pts = client.get(f"/api/v1/devices/{dev}/health", params={"bucket": "1m"}).json()["points"]
        assert sum(p["samples"] for p in pts) == len(d["health"])
        tel = client.get(f"/api/v1/devices/{dev}/telemetry").json()["items"]
        assert len(tel) == d["telemetry"] and all(t["frames_captured"] < 1000 for t in tel)


def _check_locations(client: httpx.Client, a: dict[str, Any]) -> None:
    assert [loc["id"] for loc in client.get("/api/v1/locations").json()["items"]] == LOCS
    for loc in LOCS:
        summary = client.get(f"/api/v1/locations/{loc}/summary").json()
        assert summary["devices_total"] == sum(1 for d in a.values() if d["location"] == loc)
        last = summary["last_break"]
        assert last is None or last["channel"].startswith("a-")
        assert summary["breaks_today"] <= sum(len(d["breaks"]) for d in a.values())


def _check_analytics(client: httpx.Client, a: dict[str, Any]) -> None:
    total = sum(len(d["breaks"]) for d in a.values())
    for group_by in ("hour", "location", "channel"):
        items = client.get("/api/v1/analytics/ad-breaks", params={"group_by": group_by}).json()[
            "items"
        ]
        assert sum(i["breaks"] for i in items) == total, group_by
        if group_by == "channel":
            assert all(i["key"].startswith("a-") for i in items)


def _check_firmware(client: httpx.Client) -> None:
    for path in ("/api/v1/firmware/manifests", "/api/v1/firmware/manifests/history"):
        items = client.get(path).json()["items"]
        assert [m["id"] for m in items] == ["fw-a-1"]
        assert [r["id"] for r in items[0]["rollouts"]] == ["ro-a"]
    assert client.get("/api/v1/firmware/fw-b-1/artifact").status_code == 404


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=_tenant("a"), b=_tenant("b"))
def test_tenant_a_never_sees_tenant_b(
    env: tuple[str, dict[str, str], Any, Any], a: dict[str, Any], b: dict[str, Any]
) -> None:
    url, settings_env, conn, rd = env
    _reset(conn)
    _seed(conn, "ta", "a", a)
    _seed(conn, "tb", "b", b)
    s.refresh_rollups(conn)
    for tenant in ("ta", "tb"):
        _invalidate(rd, settings_env["ADWATCH_API_KEY_PREFIX"], tenant)
    with httpx.Client(base_url=url, headers=s.auth(s.token("ta", "admin"))) as client:
        _check_devices(client, a, b)
        _check_locations(client, a)
        _check_analytics(client, a)
        _check_firmware(client)
