"""Benchmark of the read API under a production server and wrk (``make bench-api``).

Seeds one tenant with N devices (default 10,000) in 50 locations and D days (default 30)
of hourly health plus ad breaks, refreshes the hourly rollups, then runs the API under
uvicorn with workers = cores twice: with the Redis response cache on and off. wrk, on
the same machine, drives each endpoint at rising connection counts. The report gives
p50/p95/p99 and throughput per endpoint and load, marks the highest load sustained
without errors, and compares each endpoint with ``/health`` (no auth, no I/O) measured
in the same run, as a ratio. Rate limiting stays on (limits set out of reach), so its
Redis round trip is part of every number; access logs are on too.

Writes ``bench-results/api.md``. Needs the stack (``ops/stack up``) and ``wrk``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cloud.db.migrate import upgrade  # noqa: E402
from cloud.db.partitions import Partition, create_sql  # noqa: E402
from cloud.db.upkeep import UpkeepOptions, run_upkeep  # noqa: E402
from tests.integration.api.support import api_env, run_api, token, with_dbname  # noqa: E402
from tests.support.stack import read_stack_env  # noqa: E402

DB_NAME = "adwatch_api_bench"
TENANT = "bench"
TARGET_CACHED_MS = 20.0
TARGET_UNCACHED_MS = 100.0

WRK_SCRIPT = """
wrk.headers["Authorization"] = "Bearer %(token)s"
local n = %(devices)d
local template = "%(template)s"
request = function()
  return wrk.format("GET", string.format(template, math.random(1, n)))
end
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT {\\"p50\\":%%d,\\"p95\\":%%d,\\"p99\\":%%d,\\"requests\\":%%d,\\"duration\\":%%d," ..
    "\\"status\\":%%d,\\"socket\\":%%d}\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    template: str  # %d is replaced by a random device number (1..N) per request
    cached: bool  # run against the cache-enabled server
    spread: str = "devices"  # what %d ranges over: "devices" (1..N) or "locations" (1..50)


@dataclass(frozen=True)
class Result:
    scenario: str
    cached: bool
    connections: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float
    errors: int


SCENARIOS = [
    Scenario("health probe (reference)", "/health?x=%d", True),
    Scenario("device list", "/api/v1/devices?limit=50", True),
    Scenario(
        "device list, filtered", "/api/v1/devices?location=loc-%03d&limit=50", True, "locations"
    ),
    Scenario("analytics by location (24 h)", "/api/v1/analytics/ad-breaks?group_by=location", True),
    Scenario(
        "analytics by hour (30 d)", "/api/v1/analytics/ad-breaks?group_by=hour&from={since}", True
    ),
    Scenario(
        "device health (24 h, 1 h buckets)", "/api/v1/devices/dev-%05d/health?bucket=1h", False
    ),
    Scenario("device list", "/api/v1/devices?limit=50", False),
    Scenario(
        "device list, filtered", "/api/v1/devices?location=loc-%03d&limit=50", False, "locations"
    ),
    Scenario(
        "analytics by location (24 h)", "/api/v1/analytics/ad-breaks?group_by=location", False
    ),
    Scenario(
        "analytics by hour (30 d)", "/api/v1/analytics/ad-breaks?group_by=hour&from={since}", False
    ),
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--devices", type=int, default=10_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    p.add_argument("--repeat", type=int, default=2, help="sweeps over all levels; mean reported")
    p.add_argument("--connections", default="4,8,16,32,64", help="comma-separated load levels")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--reseed", action="store_true", help="drop and reseed the bench database")
    p.add_argument("--keep-db", action="store_true", help="keep the bench database afterwards")
    p.add_argument("--seed-only", action="store_true", help="seed (or reuse) the database, stop")
    p.add_argument("--only", choices=("cached", "uncached"), help="run one server mode (iterating)")
    p.add_argument("--out", type=Path, default=REPO / "bench-results" / "api.md")
    return p.parse_args(argv)


def _seed_sql(devices: int, days: int) -> list[str]:
    per_loc = max(1, devices // 50)
    span = (
        f"generate_series(date_trunc('hour', now()) - interval '{days} days', "
        "date_trunc('hour', now()) - interval '1 hour', interval '1 hour')"
    )
    return [
        f"INSERT INTO tenants (id, name) VALUES ('{TENANT}', 'Bench')",
        f"INSERT INTO locations (tenant_id, id, name) SELECT '{TENANT}', "
        "'loc-' || lpad(i::text, 3, '0'), 'Venue ' || i FROM generate_series(1, 50) i",
        "INSERT INTO devices (tenant_id, id, location_id, hardware, firmware, channel, status, "
        f"last_seen) SELECT '{TENANT}', 'dev-' || lpad(i::text, 5, '0'), "
        f"'loc-' || lpad((1 + (i - 1) / {per_loc})::text, 3, '0'), "
        "(ARRAY['rpi4', 'rpi5', 'nuc'])[1 + i % 3], '1.4.2', 'ch-' || i % 5, "
        "CASE WHEN i % 7 = 0 THEN 'offline' ELSE 'online' END, now() "
        f"FROM generate_series(1, {devices}) i",
        # One health sample per device and hour: the hourly rollup gets one row per device-hour.
        "INSERT INTO device_health (message_id, time, tenant_id, location_id, device_id, "
        "cpu_percent, memory_percent, disk_percent, temperature_c, uptime_s, fps, "
        "inference_ms_p50, inference_ms_p95, queue_depth) "
        "SELECT gen_random_uuid(), h + interval '17 minutes', d.tenant_id, d.location_id, d.id, "
        "random() * 100, 40 + random() * 20, 55, 50 + random() * 15, 3600, 25, 6, 11, 1 "
        f"FROM devices d CROSS JOIN {span} h",
        # About three ad breaks per location, channel and hour.
        "INSERT INTO ad_events (message_id, time, tenant_id, location_id, device_id, event, "
        "break_id, source, started_at, ended_at, duration_s, confidence, action, controller, "
        "model_version) SELECT gen_random_uuid(), h + make_interval(mins => 5 + 15 * k), "
        f"'{TENANT}', l.id, 'dev-00001', 'ended', gen_random_uuid(), 'ch-' || k, "
        "h + make_interval(mins => 2 + 15 * k), h + make_interval(mins => 5 + 15 * k), 180, 0.9, "
        "'mute', 'ir', 'm1' FROM locations l CROSS JOIN "
        f"{span} h CROSS JOIN generate_series(0, 2) k WHERE l.tenant_id = '{TENANT}'",
        "ANALYZE",
    ]


def _day_partitions(days: int) -> list[str]:
    """The daily partitions of the seeded days, made before the rows arrive (as `db upkeep`
    would have made them while the data came in), so no row waits in a DEFAULT partition."""
    today = datetime.now(UTC).date()
    return [
        create_sql(Partition(table, today - timedelta(days=back)))
        for table in ("device_health", "ad_events")
        for back in range(days + 2)
    ]


def prepare_db(env: dict[str, str], args: argparse.Namespace) -> str:
    admin, app_dsn = env["ADWATCH_PG_ADMIN_DSN"], env["ADWATCH_PG_DSN"]
    owner = httpx.URL(app_dsn).username
    dsn = with_dbname(app_dsn, DB_NAME)
    marker = f"{args.devices}x{args.days}"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and not args.reseed:
            with psycopg.connect(dsn) as db:
                row = db.execute(
                    "SELECT value FROM storage_settings WHERE key = 'bench'"
                ).fetchone()
            if row and row[0] == marker:
                print(f"reusing seeded database {DB_NAME} ({marker})", flush=True)
                return dsn
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}" OWNER "{owner}"')
    upgrade(dsn)
    with psycopg.connect(dsn, autocommit=True) as db:
        for sql in [*_day_partitions(args.days), *_seed_sql(args.devices, args.days)]:
            started = time.monotonic()
            db.execute(sql)
            print(f"  {time.monotonic() - started:6.1f}s  {sql[:70]}...", flush=True)
        started = time.monotonic()
        run_upkeep(db, opts=UpkeepOptions(full_refresh=True))  # refresh + vacuum every rollup
        print(f"  {time.monotonic() - started:6.1f}s  db upkeep (full refresh)", flush=True)
        db.execute("INSERT INTO storage_settings (key, value) VALUES ('bench', %s)", (marker,))
    return dsn


def run_wrk(
    url: str, template: str, devices: int, connections: int, duration: int, workdir: Path
) -> dict[str, int]:
    script = workdir / "bench.lua"
    script.write_text(
        WRK_SCRIPT
        % {"token": token(TENANT, "viewer", ttl=7200), "devices": devices, "template": template}
    )
    cmd = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    parsed: dict[str, int] = json.loads(line.removeprefix("RESULT "))
    return parsed


@contextmanager
def api_server(dsn: str, redis_url: str, cached: bool, workers: int, logdir: Path) -> Iterator[str]:
    env = api_env(
        dsn,
        redis_url,
        ADWATCH_API_CACHE_ENABLED=str(cached),
        ADWATCH_API_RATE_LIMIT_PER_TOKEN_RATE="1000000",
        ADWATCH_API_RATE_LIMIT_PER_TOKEN_BURST="1000000",
        ADWATCH_API_RATE_LIMIT_PER_IP_RATE="1000000",
        ADWATCH_API_RATE_LIMIT_PER_IP_BURST="1000000",
        ADWATCH_API_POOL_MAX="10",
    )  # its own Redis key prefixes per server, as before
    with run_api(env, logdir / f"api-{'cached' if cached else 'uncached'}.log", workers) as url:
        yield url


def _run_scenario(args: argparse.Namespace, url: str, sc: Scenario, workdir: Path) -> list[Result]:
    since = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() - args.days * 86400))
    template = sc.template.replace("{since}", since)
    spread = args.devices if sc.spread == "devices" else 50
    run_wrk(url, template, spread, 2, 2, workdir)  # warm-up (fills the cache)
    out = []
    for conns in (int(c) for c in args.connections.split(",")):
        r = run_wrk(url, template, spread, conns, args.duration, workdir)
        res = Result(
            sc.name,
            sc.cached,
            conns,
            r["p50"] / 1000,
            r["p95"] / 1000,
            r["p99"] / 1000,
            r["requests"] / (r["duration"] / 1e6),
            r["status"] + r["socket"],
        )
        out.append(res)
        print(
            f"{'cached' if sc.cached else 'uncached':8} {sc.name:36} c={conns:3} "
            f"p50={res.p50_ms:7.2f} p95={res.p95_ms:7.2f} p99={res.p99_ms:7.2f} ms "
            f"rps={res.rps:8.1f} errors={res.errors}",
            flush=True,
        )
    return out


def measure(args: argparse.Namespace, dsn: str, redis_url: str, workdir: Path) -> list[Result]:
    """Every scenario at every load level, ``--repeat`` sweeps; the mean of the sweeps.

    Sweeps run one after the other (not back to back per level), so a slow spell of
    the shared machine lands in one sweep of several levels rather than on one level.
    """
    runs: list[Result] = []
    modes = {"cached": (True,), "uncached": (False,)}.get(args.only or "", (True, False))
    for cached in modes:
        with api_server(dsn, redis_url, cached, args.workers, workdir) as url:
            for sweep in range(args.repeat):
                print(f"sweep {sweep + 1}/{args.repeat}", flush=True)
                for sc in (s for s in SCENARIOS if s.cached == cached):
                    runs += _run_scenario(args, url, sc, workdir)
    return mean_by_level(runs)


def mean_by_level(runs: list[Result]) -> list[Result]:
    groups: dict[tuple[str, bool, int], list[Result]] = {}
    for r in runs:
        groups.setdefault((r.scenario, r.cached, r.connections), []).append(r)
    return [
        Result(
            name, cached, conns,
            statistics.fmean(r.p50_ms for r in rs), statistics.fmean(r.p95_ms for r in rs),
            statistics.fmean(r.p99_ms for r in rs), statistics.fmean(r.rps for r in rs),
            sum(r.errors for r in rs),
        )
        for (name, cached, conns), rs in groups.items()
    ]  # fmt: skip


SATURATED = 0.90  # within 10% of the peak: run-to-run noise here is +-7%


def best(results: list[Result], name: str, cached: bool) -> Result | None:
    """The highest load the machine sustains without errors: the lowest connection count
    whose throughput reaches the peak (>= 90% of the best error-free run). More
    connections than that add no throughput, only queueing (latency = connections /
    throughput), so their latency measures wrk's queue, not the server."""
    ok = [r for r in results if r.scenario == name and r.cached == cached and r.errors == 0]
    if not ok:
        return None
    peak = max(r.rps for r in ok)
    return min((r for r in ok if r.rps >= SATURATED * peak), key=lambda r: r.connections)


def report(results: list[Result], args: argparse.Namespace, seconds: float) -> str:
    ref = best(results, "health probe (reference)", True)
    top = max(r.connections for r in results)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Read API benchmark",
        "",
        f"Generated by `tests/bench/bench_api.py` on {stamp} "
        f"in {seconds:.0f} s. Data: 1 tenant, {args.devices:,} devices in 50 locations, "
        f"{args.days} days of hourly health (one sample per device-hour) and ad breaks "
        "(three per venue, channel and hour), every rollup refreshed (`health_hourly`, "
        "`ad_minutes_hourly`, `ad_breaks_tenant_hourly`, `ad_breaks_daily`), plain "
        "PostgreSQL 15 path.",
        f"Server: `adwatch-cloud api` (uvicorn + uvloop + httptools), {args.workers} workers "
        f"(= cores), access logs on, Redis rate limiter on (limits out of reach). "
        f"Load: `wrk -t2 --timeout 5s`, {args.duration} s per run after a 2 s warm-up, "
        f"{args.repeat} sweeps over all levels, the mean of the sweeps reported, "
        f"connections {args.connections}, on the same {os.cpu_count()}-core machine "
        f"(load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}).",
        "",
        "Cached: Redis response cache on (device lists 60 s, analytics 300 s), so after the "
        "warm-up the requests are hits. Uncached: the same server with the cache off, every "
        "request goes to PostgreSQL. Device health is never cached by design. Device ids and "
        "locations are random per request where the path has one.",
        "",
        "Highest load sustained: per endpoint, the lowest connection count whose throughput "
        f"reaches the peak (at least {SATURATED:.0%} of the best error-free run). Beyond it "
        "more connections add no throughput, only a queue in front of the server "
        "(latency = connections / throughput), so the last column gives p95 at the highest "
        "connection count as well.",
        "",
        "## Highest load sustained without errors",
        "",
        "| endpoint | cache | connections | p50 ms | p95 ms | p99 ms | req/s | vs /health | "
        f"p95 target | met | p95 ms at {top} connections |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    seen: set[tuple[str, bool]] = set()
    for r in results:
        if (r.scenario, r.cached) in seen:
            continue
        seen.add((r.scenario, r.cached))
        b = best(results, r.scenario, r.cached)
        if b is None:
            lines.append(
                f"| {r.scenario} | {'on' if r.cached else 'off'} | — | | | | | | | no "
                "error-free level |"
            )
            continue
        target = TARGET_CACHED_MS if r.cached and "health" not in r.scenario else TARGET_UNCACHED_MS
        ratio = f"{b.rps / ref.rps:.2f}x" if ref else "-"
        at_top = next(
            (f"{x.p95_ms:.1f}" for x in results
             if (x.scenario, x.cached, x.connections) == (r.scenario, r.cached, top)), "-",
        )  # fmt: skip
        lines.append(
            f"| {b.scenario} | {'on' if b.cached else 'off'} | {b.connections} | {b.p50_ms:.1f} | "
            f"{b.p95_ms:.1f} | {b.p99_ms:.1f} | {b.rps:.0f} | {ratio} | < {target:.0f} | "
            f"{'yes' if b.p95_ms < target else 'NO'} | {at_top} |"
        )
    lines += [
        "",
        "## Every load level (mean of the sweeps)",
        "",
        "| endpoint | cache | connections | p50 ms | p95 ms | p99 ms | req/s | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.scenario} | {'on' if r.cached else 'off'} | {r.connections} | "
        f"{r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.rps:.0f} | {r.errors} |"
        for r in results
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    env = read_stack_env()
    if "ADWATCH_PG_ADMIN_DSN" not in env:
        print("the stack is not up: run `ops/stack up`", file=sys.stderr)
        return 2
    started = time.monotonic()
    dsn = prepare_db(env, args)
    if args.seed_only:
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        results = measure(args, dsn, env["ADWATCH_REDIS_URL"], Path(tmp))
    if not args.keep_db:
        with psycopg.connect(env["ADWATCH_PG_ADMIN_DSN"], autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(results, args, time.monotonic() - started))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
