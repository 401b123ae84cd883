"""Run the real ingest pipeline as processes for tests: connectors, Faust worker, simulator.

Everything a run creates is private to it: Kafka topic prefix, share group, consumer group,
Redis key prefix, device-id prefix and a throwaway database with the migrations applied.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

BIN = Path(sys.executable).parent
SERIES = (
    "device_health",
    "telemetry",
    "ad_events",
    "device_status_events",
    "ota_states",
    "command_results",
)


class Proc:
    """One CLI process with its log file; kill -9, stop and restart it by its pid."""

    def __init__(self, name: str, argv: list[str], log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                ["nice", "-n", "5", *self.argv],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        if self.proc is not None and self.alive:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None or not self.alive:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if not self.alive:
                raise AssertionError(f"{self.name} exited:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: no {text!r} in {timeout}s:\n{self.log()[-3000:]}")


def with_db(dsn: str, db: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{db}"))


@contextmanager
def throwaway_db(admin_dsn: str, owner_dsn: str) -> Iterator[str]:
    """A fresh database owned by the app role, migrated to head; dropped afterwards."""
    from cloud.db.migrate import upgrade

    name = f"ingest_{uuid.uuid4().hex[:10]}"
    owner = urlsplit(owner_dsn).username
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    dsn = with_db(owner_dsn, name)
    try:
        upgrade(dsn)
        yield dsn
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stored_ids(dsn: str, device_prefix: str) -> Counter[str]:
    """Every stored message id of the run's devices, with how often it is stored."""
    union = " UNION ALL ".join(
        f"SELECT message_id::text FROM {t} WHERE device_id LIKE %(p)s" for t in SERIES
    )
    for attempt in range(30):  # the database itself may be restarting under a fault test
        try:
            with psycopg.connect(dsn, connect_timeout=5) as conn:
                rows = conn.execute(union, {"p": f"{device_prefix}%"}).fetchall()
            return Counter(r[0] for r in rows)
        except psycopg.OperationalError:
            time.sleep(min(2.0, 0.2 * (attempt + 1)))
    raise AssertionError("database unreachable for 30 tries")


def wait_stored(dsn: str, device_prefix: str, want: set[str], timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while True:
        got = stored_ids(dsn, device_prefix)
        if want <= set(got) or time.monotonic() > deadline:
            return got
        time.sleep(1.0)


@dataclass
class Pipeline:
    """Settings shared by every process of one test run."""

    bootstrap: str
    mqtt: tuple[str, int]
    redis_url: str
    dsn: str
    log_dir: Path
    run: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}")
    procs: list[Proc] = field(default_factory=list)

    @property
    def topic_prefix(self) -> str:
        return f"{self.run}."

    @property
    def device_prefix(self) -> str:
        return f"{self.run}x"

    def connector(self, n: int) -> Proc:
        host, port = self.mqtt
        proc = Proc(
            f"connector-{n}",
            [
                str(BIN / "adwatch-broker"),
                "connector",
                "--host",
                host,
                "--port",
                str(port),
                "--kafka",
                self.bootstrap,
                "--client-id",
                f"{self.run}-c{n}",
                "--share-group",
                self.run,
                "--topic-prefix",
                self.topic_prefix,
                "--session-expiry",
                "120",
                "--log-level",
                "info",
            ],
            self.log_dir,
        )
        self.procs.append(proc)
        return proc

    def worker(self, name: str = "worker", batch_size: int = 500) -> Proc:
        proc = Proc(
            name,
            [
                str(BIN / "adwatch-cloud"),
                "stream",
                "worker",
                "--kafka",
                self.bootstrap,
                "--pg-dsn",
                self.dsn,
                "--redis-url",
                self.redis_url,
                "--topic-prefix",
                self.topic_prefix,
                "--app-id",
                self.run,
                "--data-dir",
                str(self.log_dir / "faust"),
                "--redis-prefix",
                self.run,
                "--batch-size",
                "500",
                "--metrics-interval",
                "2",
                "--log-level",
                "info",
            ],
            self.log_dir,
        )
        self.procs.append(proc)
        return proc

    def simulator(
        self,
        *,
        devices: int,
        rate: float,
        duration: float,
        seed: int = 1,
        offline_fraction: float = 0.0,
        tenants: int = 2,
        locations: int = 2,
    ) -> Sim:
        host, port = self.mqtt
        ids = self.log_dir / f"sim-{seed}.ids"
        online = self.log_dir / f"sim-{seed}.online"
        proc = Proc(
            f"simulate-{seed}",
            [
                str(BIN / "adwatch-edge"),
                "simulate",
                "--host",
                host,
                "--port",
                str(port),
                "--devices",
                str(devices),
                "--rate",
                str(rate),
                "--duration",
                str(duration),
                "--tenants",
                str(tenants),
                "--locations",
                str(locations),
                "--seed",
                str(seed),
                "--id-prefix",
                self.device_prefix,
                "--offline-fraction",
                str(offline_fraction),
                "--no-retain",
                "--ids-out",
                str(ids),
                "--online-out",
                str(online),
            ],
            self.log_dir,
        )
        self.procs.append(proc)
        return Sim(proc.start(), ids, online)

    def stop_all(self) -> None:
        for proc in self.procs:
            proc.stop(timeout=10)

    def cleanup(self) -> None:
        """Delete the run's Kafka topics and Redis keys."""
        asyncio.run(self._cleanup())

    async def _cleanup(self) -> None:
        import redis.asyncio as aioredis
        from aiokafka.admin import AIOKafkaAdminClient

        from schemas.kafka import ALL_TOPICS

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([self.topic_prefix + t for t in ALL_TOPICS])
        finally:
            await admin.close()
        client = aioredis.from_url(self.redis_url)
        try:
            keys = [k async for k in client.scan_iter(match=f"{self.run}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


@dataclass
class Sim:
    proc: Proc
    ids_path: Path
    online_path: Path

    def wait(self, timeout: float) -> None:
        assert self.proc.proc is not None
        rc = self.proc.proc.wait(timeout)
        assert rc == 0, f"simulator failed ({rc}):\n{self.proc.log()[-2000:]}"

    def ids(self) -> set[str]:
        return set(self.ids_path.read_text().split())

    def online(self) -> set[str]:
        return set(self.online_path.read_text().split())


def poll(predicate: Callable[[], bool], timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()
