"""The services of the local stack: how each is prepared, started and health-checked (stdlib only).

Every service runs natively on 127.0.0.1 on a non-default port, with its data under run/.
Nothing here touches the system's own PostgreSQL cluster, Redis or Mosquitto.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stack_procs import Launch, run_quiet, say

# Fixed ports (see COMMON.md). ADWATCH_STACK_PORT_OFFSET shifts them all, so a second checkout
# can run its own stack next to the usual one (run/stack.env then carries the shifted ports).
_OFFSET = int(os.environ.get("ADWATCH_STACK_PORT_OFFSET", "0"))
PG_PORT = 55432 + _OFFSET
REDIS_PORT = 56379 + _OFFSET
MQTT_PORT = 51883 + _OFFSET
KAFKA_PORT = 59092 + _OFFSET
KAFKA_CONTROLLER_PORT = 59093 + _OFFSET
TIMESCALE_PORT = 55433 + _OFFSET
KAFKA_VERSION = os.environ.get("ADWATCH_KAFKA_VERSION", "3.9.1")
PG_BIN = Path(os.environ.get("ADWATCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
HOST = "127.0.0.1"

STACK_ENV = {
    "ADWATCH_PG_DSN": f"postgresql://adwatch:adwatch@{HOST}:{PG_PORT}/adwatch",
    "ADWATCH_PG_ADMIN_DSN": f"postgresql://postgres:postgres@{HOST}:{PG_PORT}/postgres",
    "ADWATCH_REDIS_URL": f"redis://{HOST}:{REDIS_PORT}/0",
    "ADWATCH_MQTT_HOST": HOST,
    "ADWATCH_MQTT_PORT": str(MQTT_PORT),
    "ADWATCH_KAFKA_BOOTSTRAP": f"{HOST}:{KAFKA_PORT}",
    "ADWATCH_TIMESCALE_DSN": f"postgresql://postgres:postgres@{HOST}:{TIMESCALE_PORT}/postgres"
    "?sslmode=disable",
}


class StackError(Exception):
    """A service could not be prepared or started."""


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.run / "logs"

    @property
    def pids(self) -> Path:
        return self.run / "pids"

    @property
    def cache(self) -> Path:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "adwatch"

    def data(self, name: str) -> Path:
        return self.run / name


def _noop(_: Layout) -> None:
    return None


def _always(_: Layout) -> str | None:
    return None


@dataclass(frozen=True)
class Service:
    name: str
    ports: tuple[int, ...]
    prepare: Callable[[Layout], None]  # install/download/initialise; idempotent, keeps data
    launch: Callable[[Layout], Launch]
    probe: Callable[[Layout], str | None]  # None when healthy, else why not (yet)
    post_start: Callable[[Layout], None] = _noop
    missing: Callable[[Layout], str | None] = _always  # why it cannot run here (optional svc)
    stop_signal: signal.Signals = signal.SIGTERM
    start_timeout: float = 60.0
    stop_timeout: float = 20.0
    env_keys: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- PostgreSQL 15


def _as_root() -> bool:
    return os.geteuid() == 0


def _pg_user_can_use(path: Path) -> bool:
    """Can the postgres user reach (traverse) PATH? (a mktemp -d clone is 0700 root)."""
    probe = run_quiet(
        ["test", "-x", str(path)], 10, user="postgres", group="postgres", extra_groups=[], cwd="/"
    )
    return probe.returncode == 0


def _pg_base(lay: Layout) -> Path:
    """Folder of our cluster: run/pg, or a symlink from run/pg to a place postgres can reach."""
    link = lay.data("pg")
    if link.exists():
        return link.resolve()
    if link.is_symlink():  # its target in /tmp was cleaned away: start a new cluster there
        base = link.resolve()
        base.mkdir(mode=0o700, parents=True)
        return base
    lay.run.mkdir(parents=True, exist_ok=True)
    if not _as_root() or _pg_user_can_use(lay.run):
        link.mkdir()
        return link
    digest = hashlib.sha1(str(lay.root).encode()).hexdigest()[:12]
    base = Path(tempfile.gettempdir()) / f"adwatch-pg-{digest}"
    base.mkdir(mode=0o700, exist_ok=True)
    link.symlink_to(base)
    say(f"postgres: {lay.run} is closed to user postgres; cluster lives in {base} (run/pg links)")
    return base


def _pg_prepare(lay: Layout) -> None:
    if not (PG_BIN / "postgres").exists():
        raise StackError(f"PostgreSQL 15 binaries not found in {PG_BIN}")
    base = _pg_base(lay)
    data = base / "data"
    if (data / "PG_VERSION").exists():
        return
    user = "postgres" if _as_root() else None
    if user:
        shutil.chown(base, user, user)
    os.chmod(base, 0o700)
    pwfile = base / "pwfile"
    pwfile.write_text("postgres\n")
    if user:
        shutil.chown(pwfile, user, user)
    argv = [
        str(PG_BIN / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        f"--pwfile={pwfile}",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    ]
    res = run_quiet(
        argv, 180, user=user, group=user, extra_groups=[] if user else None, cwd=str(base)
    )
    pwfile.unlink(missing_ok=True)
    if res.returncode != 0:
        raise StackError(f"initdb failed:\n{res.stdout}\n{res.stderr}")


def _pg_launch(lay: Layout) -> Launch:
    base = _pg_base(lay)
    settings = {
        "listen_addresses": HOST,
        "port": str(PG_PORT),
        "unix_socket_directories": "",
        "max_connections": "200",
        "shared_buffers": "128MB",
        "work_mem": "8MB",
        "max_wal_size": "1GB",
        "log_min_messages": "warning",
        "log_line_prefix": "%m [%p] ",
        "password_encryption": "scram-sha-256",
    }
    argv = [str(PG_BIN / "postgres"), "-D", str(base / "data")]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    return Launch(argv, base, user="postgres")


def _psql(dsn: str, sql: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return run_quiet(
        [str(PG_BIN / "psql"), dsn, "-X", "-At", "-v", "ON_ERROR_STOP=1"],
        timeout,
        input=sql,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )


def _pg_probe(_: Layout) -> str | None:
    res = run_quiet([str(PG_BIN / "pg_isready"), "-h", HOST, "-p", str(PG_PORT), "-t", "2"], 10)
    if res.returncode != 0:
        return f"pg_isready: {res.stdout.strip()}"
    res = _psql(STACK_ENV["ADWATCH_PG_ADMIN_DSN"], "SELECT 1")
    return None if res.stdout.strip() == "1" else f"select 1: {res.stderr.strip()}"


_PG_BOOTSTRAP = """
SELECT 'CREATE ROLE adwatch LOGIN CREATEDB PASSWORD ''adwatch'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'adwatch') \\gexec
SELECT 'CREATE DATABASE adwatch OWNER adwatch'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'adwatch') \\gexec
"""


def _pg_post_start(_: Layout) -> None:
    res = _psql(STACK_ENV["ADWATCH_PG_ADMIN_DSN"], _PG_BOOTSTRAP)
    if res.returncode != 0:
        raise StackError(f"creating role/database adwatch failed: {res.stderr.strip()}")
    res = _psql(STACK_ENV["ADWATCH_PG_DSN"], "SELECT current_user")
    if res.stdout.strip() != "adwatch":
        raise StackError(f"cannot log in as adwatch: {res.stderr.strip()}")


POSTGRES = Service(
    "postgres",
    (PG_PORT,),
    _pg_prepare,
    _pg_launch,
    _pg_probe,
    _pg_post_start,
    stop_signal=signal.SIGINT,  # "fast" shutdown; SIGTERM would wait for every client to leave
    start_timeout=180,
    stop_timeout=30,
    env_keys=("ADWATCH_PG_DSN", "ADWATCH_PG_ADMIN_DSN"),
)

# --------------------------------------------------------------------------- Redis


def _redis_prepare(lay: Layout) -> None:
    lay.data("redis").mkdir(parents=True, exist_ok=True)


def _redis_launch(lay: Layout) -> Launch:
    argv = [
        "redis-server",
        "--bind",
        HOST,
        "--port",
        str(REDIS_PORT),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(lay.data("redis")),
        "--daemonize",
        "no",
        "--logfile",
        "",
        "--databases",
        "16",
    ]
    return Launch(argv, lay.data("redis"))


def _redis_probe(_: Layout) -> str | None:
    res = run_quiet(["redis-cli", "-h", HOST, "-p", str(REDIS_PORT), "ping"], 5)
    return None if res.stdout.strip() == "PONG" else f"ping: {res.stdout.strip()} {res.stderr}"


REDIS = Service(
    "redis",
    (REDIS_PORT,),
    _redis_prepare,
    _redis_launch,
    _redis_probe,
    start_timeout=30,
    env_keys=("ADWATCH_REDIS_URL",),
)

# --------------------------------------------------------------------------- Mosquitto


def mosquitto_config(port: int, data_dir: Path, extra: str = "") -> str:
    """Mosquitto 2.0 config: one loopback listener, anonymous, persistent (MQTT 3.1.1 and 5)."""
    lines = [
        "per_listener_settings false",
        "allow_anonymous true",
        f"listener {port} {HOST}",
        "protocol mqtt",
        "persistence true",
        f"persistence_location {data_dir}/",
        "autosave_interval 10",
        # The default (1000) silently drops QoS 1 messages queued for a slow or absent
        # persistent subscriber (a connector being restarted): nothing may be lost here.
        "max_queued_messages 0",
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages false",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    ]
    if _as_root():
        lines.append("user root")  # else it drops to user mosquitto, who cannot write run/
    return "\n".join(lines) + "\n" + extra


def _mqtt_prepare(lay: Layout) -> None:
    data = lay.data("mosquitto") / "data"
    data.mkdir(parents=True, exist_ok=True)
    (lay.data("mosquitto") / "mosquitto.conf").write_text(mosquitto_config(MQTT_PORT, data))


def _mqtt_launch(lay: Layout) -> Launch:
    conf = lay.data("mosquitto") / "mosquitto.conf"
    binary = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    return Launch([binary or "/usr/sbin/mosquitto", "-c", str(conf)], lay.data("mosquitto"))


def _mqtt_probe(_: Layout) -> str | None:
    """Round trip: publish retained (MQTT 5, QoS 1), read it back (MQTT 3.1.1), clear it."""
    topic = f"adwatch/_stack/probe/{uuid.uuid4().hex}"
    token = uuid.uuid4().hex
    common = ["-h", HOST, "-p", str(MQTT_PORT), "-t", topic, "-q", "1"]
    pub = run_quiet(["mosquitto_pub", *common, "-V", "mqttv5", "-r", "-m", token], 10)
    if pub.returncode != 0:
        return f"mosquitto_pub: {pub.stderr.strip()}"
    sub = run_quiet(["mosquitto_sub", *common, "-V", "mqttv311", "-C", "1", "-W", "5"], 10)
    run_quiet(["mosquitto_pub", *common, "-r", "-n"], 10)
    return None if sub.stdout.strip() == token else f"mosquitto_sub got {sub.stdout!r}"


MOSQUITTO = Service(
    "mosquitto",
    (MQTT_PORT,),
    _mqtt_prepare,
    _mqtt_launch,
    _mqtt_probe,
    start_timeout=30,
    env_keys=("ADWATCH_MQTT_HOST", "ADWATCH_MQTT_PORT"),
)

# Kafka and TimescaleDB (they need downloads) live in stack_kafka.py and stack_timescale.py.
