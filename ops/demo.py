"""adwatch's main job, end to end on one machine (run by ``make demo``).

A generated broadcast clip with known ad breaks plays into a real worker. The
worker detects the breaks, mutes a TV (a real HTTP server speaking Roku ECP) and
publishes its events to the venue broker that a Raft coordinator runs and
advertises over mDNS. The coordinator's bridge forwards them to the "cloud"
Mosquitto, two connectors move them to Kafka, the Faust worker stores them in
PostgreSQL and Redis, and the read API serves them back. The demo prints each
step and a final comparison with the truth; it exits non-zero when a step fails.

Needs the local stack up (``ops/with-stack`` does it) and ``run/stack.env``
exported. ``--help`` lists the knobs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fake_roku import run_fake_roku  # noqa: E402  (a protocol-faithful Roku TV)
from tests.support.ports import free_port  # noqa: E402

PY = sys.executable
TENANT, LOCATION, DEVICE = "demo", "sports-bar", "screen-1"
RAFT_PASSWORD = "demo raft password, sixteen+ chars"
DEVICE_PASSWORD, BRIDGE_PASSWORD = "device-secret", "bridge-secret"
T0 = time.monotonic()


def say(text: str) -> None:
    print(f"[demo {time.monotonic() - T0:6.1f}s] {text}", flush=True)


class Processes:
    """Every child of the demo, stopped by PID at the end whatever happens."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [PY, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None and name != "worker":
                raise RuntimeError(f"{name} exited with {proc.returncode}: see {self.logs}")

    def stop(self, name: str, timeout: float = 30.0) -> int | None:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def stop_all(self) -> None:
        for name in list(self.procs)[::-1]:
            self.stop(name, timeout=15)


def wait_for(what: str, check: Callable[[], Any], timeout: float, procs: Processes) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check_alive()
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def toml_value(v: Any) -> str:
    return v.isoformat() if isinstance(v, datetime) else json.dumps(v)


def toml(tree: dict[str, Any]) -> str:
    """Just enough TOML for the demo's config files (tables of scalars and lists)."""
    lines: list[str] = []

    def emit(prefix: str, table: dict[str, Any]) -> None:
        scalars = {
            k: v
            for k, v in table.items()
            if not isinstance(v, dict | list)
            or (isinstance(v, list) and not (v and isinstance(v[0], dict)))
        }
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in scalars.items())
        for key, value in table.items():
            if isinstance(value, dict):
                emit(f"{prefix}.{key}" if prefix else key, value)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for item in value:
                    lines.append(f"[[{prefix}.{key}]]" if prefix else f"[[{key}]]")
                    lines.extend(f"{k} = {toml_value(v)}" for k, v in item.items())

    emit("", tree)
    return "\n".join(lines) + "\n"


def sql(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def fresh_database(admin_dsn: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" OWNER adwatch')
    base = os.environ["ADWATCH_PG_DSN"].rsplit("/", 1)[0]
    return f"{base}/{name}"


def generate_clip(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """A clip and its truth, cached by its parameters (rendering is the slow part)."""
    width, height = (int(x) for x in args.size.split("x"))
    out = ROOT / "run" / "demo-clips" / f"s{args.seed}-{args.minutes:g}m-{args.size}"
    videos = sorted(out.glob("*.mp4"))
    if not videos:
        say(
            f"generating a {args.minutes:g}-minute {args.size} broadcast clip "
            f"(seed {args.seed}) with its truth; cached for the next run"
        )
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(
            [
                PY,
                "-m",
                "edge.cli",
                "corpus",
                "generate",
                "--out",
                str(out),
                "--minutes",
                f"{args.minutes:g}",
                "--file-minutes",
                f"{args.minutes:g}",
                "--seed",
                str(args.seed),
                "--profile",
                "sports",
                "--width",
                str(width),
                "--height",
                str(height),
                "--preset",
                "veryfast",
                "--quiet",
            ],
            check=True,
            cwd=ROOT,
        )
        videos = sorted(out.glob("*.mp4"))
    return videos[0], json.loads(videos[0].with_suffix(".json").read_text())


def venue_files(work: Path) -> tuple[Path, dict[str, Any]]:
    from broker.venue.passwords import format_password_file, hash_password

    passwd = work / "venue.passwd"
    passwd.write_text(
        format_password_file(
            {
                DEVICE: hash_password(DEVICE_PASSWORD),
                "coordinator": hash_password(BRIDGE_PASSWORD),
            }
        )
    )
    return passwd, {"username": "coordinator", "password": BRIDGE_PASSWORD}


def coordinator_config(work: Path, passwd: Path, local: dict[str, Any]) -> Path:
    path = work / "coordinator.toml"
    path.write_text(
        toml(
            {
                "node": {
                    "id": "coord-1",
                    "tenant": TENANT,
                    "location": LOCATION,
                    "data_dir": str(work / "coordinator"),
                    "status_file": str(work / "coord.json"),
                },
                "raft": {
                    "bind": f"127.0.0.1:{free_port()}",
                    "peers": [],
                    "password": RAFT_PASSWORD,
                },
                "discovery": {"advertise_host": "127.0.0.1", "interfaces": ["127.0.0.1"]},
                "broker": {
                    "type": "venue",
                    "host": "127.0.0.1",
                    "port": free_port(),
                    "settings": {"password_file": str(passwd)},
                },
                "bridge": {
                    "type": "venue",
                    "settings": {
                        "cloud": {
                            "host": os.environ["ADWATCH_MQTT_HOST"],
                            "port": int(os.environ["ADWATCH_MQTT_PORT"]),
                        },
                        "local": local,
                    },
                },
                "registry": {"username": "coordinator", "password": BRIDGE_PASSWORD},
            }
        )
    )
    return path


def worker_config(work: Path, video: Path, tv_port: int, origin: datetime) -> Path:
    path = work / "worker.toml"
    path.write_text(
        toml(
            {
                "device": {
                    "tenant": TENANT,
                    "location": LOCATION,
                    "device": DEVICE,
                    "firmware": "0.1.0",
                    "hardware": "rpi5",
                },
                "source": {
                    "url": str(video),
                    "channel": "sports-1",
                    "loop": False,
                    "speed": 0.0,
                    "start_time": origin,
                },
                "broker": {
                    "discover": True,
                    "interfaces": ["127.0.0.1"],
                    "username": DEVICE,
                    "password": DEVICE_PASSWORD,
                    "discover_timeout_s": 30.0,
                },
                "outbox": {"path": str(work / "outbox.sqlite")},
                "intervals": {"health_s": 5.0, "telemetry_s": 10.0},
                "policy": {"action": "mute"},
                "tv": {
                    "timeout_s": 3.0,
                    "controllers": [{"type": "roku", "host": "127.0.0.1", "port": tv_port}],
                },
            }
        )
    )
    return path


def api_get(port: int, path: str, token: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def report(truth: dict[str, Any], db: str, presses: list[str], start: datetime) -> bool:
    rows = sql(
        db,
        """SELECT started_at, ended_at FROM ad_events WHERE event = 'ended'
           AND tenant_id = %s AND device_id = %s ORDER BY started_at""",
        TENANT,
        DEVICE,
    )
    true_breaks = [(b["start_s"], b["end_s"]) for b in truth["breaks"]]
    found = [(r[0].timestamp(), r[1].timestamp()) for r in rows]
    origin = start.timestamp()  # the worker stamps media time t at start_time + t
    say("ad breaks: truth vs detected (seconds from the start of the clip)")
    matched = 0
    for start, end in true_breaks:
        best = max(
            found, key=lambda f: overlap((start, end), (f[0] - origin, f[1] - origin)), default=None
        )
        got = "missed"
        if best and overlap((start, end), (best[0] - origin, best[1] - origin)) > 0:
            matched += 1
            got = f"{best[0] - origin:7.1f} - {best[1] - origin:7.1f}"
        print(f"    truth {start:7.1f} - {end:7.1f}   detected {got}")
    print(f"    {matched}/{len(true_breaks)} breaks found, {len(found)} detected in all")
    print(f"    TV key presses (Roku ECP): {presses}")
    for table in ("device_health", "telemetry", "ad_events", "device_status_events"):
        count = sql(db, f"SELECT count(*) FROM {table} WHERE tenant_id = %s", TENANT)[0][0]
        print(f"    rows in {table} for tenant {TENANT}: {count}")
    return matched == len(true_breaks) and bool(true_breaks)


def run(args: argparse.Namespace) -> int:
    work = ROOT / "run" / "demo"
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    procs = Processes(work / "logs")
    run_id = str(int(time.time()))
    prefix = f"demo{run_id}."
    db = fresh_database(os.environ["ADWATCH_PG_ADMIN_DSN"], "adwatch_demo")
    cloud_env = {
        "ADWATCH_PG_DSN": db,
        "ADWATCH_REDIS_PREFIX": f"demo{run_id}",
        "ADWATCH_API_STATE_PREFIX": f"demo{run_id}",
        "ADWATCH_API_KEY_PREFIX": f"demo{run_id}:api",
        "ADWATCH_API_JWT_SECRET": "demo-jwt-secret-at-least-32-bytes-long",
    }
    try:
        video, truth = generate_clip(args)
        say(f"truth: {len(truth['breaks'])} ad breaks in {truth['duration_s']:.0f} s of video")
        say("migrating the cloud database (storage path chosen from pg_available_extensions)")
        subprocess.run(
            [PY, "-m", "cloud.cli", "db", "--dsn", db, "migrate"],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        say("starting the Faust stream worker and two MQTT->Kafka connectors")
        procs.start(
            "stream",
            "-m",
            "cloud.cli",
            "stream",
            "worker",
            "--topic-prefix",
            prefix,
            "--app-id",
            f"demo-{run_id}",
            "--data-dir",
            str(work / "faust"),
            env=cloud_env,
        )
        for n in (1, 2):
            procs.start(
                f"connector{n}",
                "-m",
                "broker.cli",
                "connector",
                "--topic-prefix",
                prefix,
                "--client-id",
                f"demo-connector-{run_id}-{n}",
                "--share-group",
                f"demo{run_id}",
            )
        say("starting the venue coordinator (Raft leader: venue broker + bridge + mDNS advert)")
        passwd, local = venue_files(work)
        procs.start(
            "coordinator",
            "-m",
            "edge.cli",
            "coordinator",
            "--config",
            str(coordinator_config(work, passwd, local)),
        )
        status = work / "coord.json"
        wait_for(
            "the coordinator to lead",
            lambda: status.exists() and json.loads(status.read_text() or "{}").get("serving"),
            60,
            procs,
        )
        # The clip replays as if it had aired over the last few minutes: every time the
        # worker stamps (start_time + media time) is then in the past, as in a live venue.
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(
            seconds=truth["duration_s"] + 5
        )
        with run_fake_roku() as (_, tv_port, tv):
            say(f"TV (Roku ECP) listening on 127.0.0.1:{tv_port}; starting the worker")
            procs.start(
                "worker",
                "-m",
                "edge.cli",
                "worker",
                "--config",
                str(worker_config(work, video, tv_port, start)),
            )
            wait_for(
                "the worker to finish the clip",
                lambda: procs.procs["worker"].poll() is not None,
                args.timeout,
                procs,
            )
            code = procs.stop("worker")
            if code != 0:
                raise RuntimeError(f"worker exited with {code}: see {work / 'logs'}")
            presses = tv.keypresses()
        # The worker's last word is its offline status, sent after its outbox drained.
        wait_for(
            "the worker's events and offline status in the database",
            lambda: sql(
                db,
                """SELECT count(*) FROM devices d JOIN ad_events e
                   ON e.tenant_id = d.tenant_id AND e.device_id = d.id AND e.event = 'ended'
                   WHERE d.tenant_id = %s AND d.id = %s AND d.status = 'offline'""",
                TENANT,
                DEVICE,
            )[0][0],
            120,
            procs,
        )
        time.sleep(3)  # other Kafka topics may trail the status topic a little
        say("refreshing the hourly rollups (adwatch-cloud db upkeep), then asking the read API")
        subprocess.run(
            [PY, "-m", "cloud.cli", "db", "--dsn", db, "upkeep"],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        api_port = free_port()
        procs.start("api", "-m", "cloud.cli", "api", "--port", str(api_port), env=cloud_env)
        token = subprocess.run(
            [
                PY,
                "-m",
                "cloud.cli",
                "token",
                "issue",
                "--tenant",
                TENANT,
                "--role",
                "viewer",
                "--ttl",
                "600",
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **cloud_env},
        ).stdout.strip()
        wait_for("the API", lambda: _ready(api_port), 60, procs)
        for path in (
            "/api/v1/devices",
            f"/api/v1/locations/{LOCATION}/summary",
            "/api/v1/analytics/ad-breaks?group_by=channel",
        ):
            print(f"    GET {path}\n      {json.dumps(api_get(api_port, path, token))[:400]}")
        ok = report(truth, db, presses, start)
        say("demo " + ("succeeded" if ok else "FAILED: a break was missed"))
        return 0 if ok else 1
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        say(f"demo FAILED: {exc}")
        return 1
    finally:
        procs.stop_all()


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=8.0, help="clip length (default 8)")
    parser.add_argument("--seed", type=int, default=2026, help="corpus seed (default 2026)")
    parser.add_argument("--size", default="640x360", help="clip size WxH (default 640x360)")
    parser.add_argument("--timeout", type=float, default=900, help="worker time limit, s")
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
