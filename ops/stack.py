#!/usr/bin/env python3
"""Local service stack for development and tests (stdlib only; runs before the venv exists).

  ops/stack up [SERVICE...]        install what is missing, start, health-check, write run/stack.env
  ops/stack down                   stop exactly the processes this stack recorded
  ops/stack status                 one line per service
  ops/stack start|stop|restart SERVICE...   single services, e.g. for fault-injection tests
  ops/stack clean                  down, then delete run/ (all data)

Services: postgres (55432), redis (56379), mosquitto (51883), kafka (59092/59093),
timescale (55433, when node/npm exist). Data in run/<service>, logs in run/logs, pids in run/pids.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack_kafka import KAFKA
from stack_procs import PidFile, log_tail, port_open, say, spawn, terminate
from stack_services import (
    MOSQUITTO,
    POSTGRES,
    REDIS,
    STACK_ENV,
    Layout,
    Service,
    StackError,
)
from stack_timescale import TIMESCALE

# Debian packages the project needs on a fresh machine (other areas may append theirs).
APT_PACKAGES = [
    "postgresql-15",
    "postgresql-15-partman",
    "redis-server",
    "redis-tools",
    "mosquitto",
    "mosquitto-clients",
    "lirc",
    "cec-utils",
    "comskip",
    "wrk",  # load generator of the API benchmark (make bench-api)
]
# Tools that may come from outside Debian's packages: install the package only if the command is
# missing (node/npm are optional: without them the timescale service is skipped).
APT_COMMANDS = {"java": "default-jre-headless", "mvn": "maven"}

SERVICES: dict[str, Service] = {s.name: s for s in (POSTGRES, REDIS, MOSQUITTO, KAFKA, TIMESCALE)}
ALIASES = {
    "pg": "postgres",
    "postgresql": "postgres",
    "mqtt": "mosquitto",
    "ts": "timescale",
    "timescaledb": "timescale",
}

LAYOUT = Layout(Path(__file__).resolve().parent.parent)


# --------------------------------------------------------------------------- packages


def _dpkg_installed(pkg: str) -> bool:
    res = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
    )
    return res.returncode == 0 and "install ok installed" in res.stdout


def ensure_packages() -> None:
    """apt-get install only what is missing (apt-get update once, only if needed)."""
    if os.environ.get("ADWATCH_STACK_NO_APT") == "1" or shutil.which("dpkg-query") is None:
        return
    missing = [p for p in APT_PACKAGES if not _dpkg_installed(p)]
    missing += [pkg for cmd, pkg in APT_COMMANDS.items() if shutil.which(cmd) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        hint = f"sudo apt-get install -y {' '.join(missing)}"
        raise StackError(f"missing Debian packages; run: {hint}")
    t0 = time.monotonic()
    say(f"apt: installing {' '.join(missing)} ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
    ):
        res = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise StackError(f"{' '.join(argv[:2])} failed:\n{res.stdout[-2000:]}\n{res.stderr}")
    say(f"apt: done in {time.monotonic() - t0:.1f}s")


# --------------------------------------------------------------------------- one service


def _pidfile(svc: Service) -> PidFile:
    return PidFile(LAYOUT.pids / f"{svc.name}.pid")


def _log(svc: Service) -> Path:
    return LAYOUT.logs / f"{svc.name}.log"


def _wait_ready(svc: Service, pidf: PidFile, proc: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + svc.start_timeout
    why: str | None = "not probed"
    while time.monotonic() < deadline:
        if (proc is not None and proc.poll() is not None) or pidf.live_pid() is None:
            raise StackError(f"{svc.name} exited during start-up ({why})")
        why = svc.probe(LAYOUT)
        if why is None:
            return
        time.sleep(0.3)
    raise StackError(f"{svc.name} not healthy after {svc.start_timeout:.0f}s: {why}")


def start_service(svc: Service) -> None:
    t0 = time.monotonic()
    why = svc.missing(LAYOUT)
    if why is not None:
        say(f"{svc.name}: skipped ({why})")
        return
    pidf = _pidfile(svc)
    pid = pidf.live_pid()
    proc = None
    if pid is not None:
        say(f"{svc.name}: already running (pid {pid}), checking health...")
    else:
        for port in svc.ports:
            if port_open(port):
                raise StackError(
                    f"{svc.name}: port {port} is in use by a process this stack did "
                    f"not start (another checkout's stack?); see `ss -ltnp`"
                )
        say(f"{svc.name}: starting...")
        svc.prepare(LAYOUT)
        proc = spawn(svc.launch(LAYOUT), _log(svc))
        pidf.write(proc.pid)
        pid = proc.pid
    try:
        _wait_ready(svc, pidf, proc)
        svc.post_start(LAYOUT)
    except StackError as exc:
        if proc is not None:
            stop_service(svc, quiet=True)
        raise StackError(f"{exc}\n--- tail of {_log(svc)} ---\n{log_tail(_log(svc))}") from None
    say(f"{svc.name}: ready in {time.monotonic() - t0:.1f}s (pid {pid})")


def stop_service(svc: Service, quiet: bool = False) -> None:
    t0 = time.monotonic()
    pidf = _pidfile(svc)
    rec = pidf.read()
    if rec is None:
        if not quiet:
            say(f"{svc.name}: not running")
        return
    outcome = terminate(rec[0], rec[1], svc.stop_signal, svc.stop_timeout)
    pidf.clear()
    if not quiet:
        say(f"{svc.name}: {outcome} in {time.monotonic() - t0:.1f}s (pid {rec[0]})")


# --------------------------------------------------------------------------- whole stack


@contextmanager
def _locked() -> Iterator[None]:
    """One ops/stack at a time per checkout."""
    LAYOUT.run.mkdir(parents=True, exist_ok=True)
    with (LAYOUT.run / "stack.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _parallel(func: Callable[[Service], None], services: Sequence[Service]) -> list[str]:
    """Run FUNC for each service in its own thread; return the error messages."""
    errors: list[str] = []

    def guarded(svc: Service) -> None:
        try:
            func(svc)
        except StackError as exc:
            errors.append(str(exc))
        except Exception as exc:  # an unexpected bug in one service must not hide the others
            errors.append(f"{svc.name}: {type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(max_workers=len(services) or 1) as pool:
        list(pool.map(guarded, services))
    return errors


def write_env() -> Path:
    running = {s.name for s in SERVICES.values() if _pidfile(s).live_pid() is not None}
    lines = ["# Written by ops/stack up: the local service stack (source it or read it)."]
    for svc in SERVICES.values():
        if svc.name in running or svc is not TIMESCALE:
            lines += [f"{key}={STACK_ENV[key]}" for key in svc.env_keys]
    path = LAYOUT.run / "stack.env"
    path.write_text("\n".join(lines) + "\n")
    return path


def _resolve(names: Sequence[str]) -> list[Service]:
    out = []
    for name in names:
        key = ALIASES.get(name, name)
        if key not in SERVICES:
            raise StackError(f"unknown service {name!r}; known: {', '.join(SERVICES)}")
        out.append(SERVICES[key])
    return out


RESERVED_PORTS = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")


def reserve_ports() -> None:
    """Keep the kernel from handing our ports out as ephemeral client ports.

    They sit inside the default ephemeral range (32768-60999): while Kafka restarts, a
    reconnecting client once connected 59092 to itself and Kafka could not bind again.
    Root only; existing reservations are kept.
    """
    ports = sorted({p for svc in SERVICES.values() for p in svc.ports})
    try:
        current = RESERVED_PORTS.read_text().strip()
        wanted = ",".join(x for x in [current, *map(str, ports)] if x)
        RESERVED_PORTS.write_text(wanted + "\n")
    except OSError as exc:
        say(f"note: could not reserve ports {ports} ({exc}); a restart may find one taken")


def cmd_up(names: Sequence[str]) -> int:
    t0 = time.monotonic()
    ensure_packages()
    reserve_ports()
    for folder in (LAYOUT.logs, LAYOUT.pids):
        folder.mkdir(parents=True, exist_ok=True)
    errors = _parallel(start_service, _resolve(names) if names else list(SERVICES.values()))
    for err in errors:
        say(f"FAILED: {err}")
    if errors:
        return 1
    path = write_env()
    say(f"up in {time.monotonic() - t0:.1f}s; environment in {path.relative_to(LAYOUT.root)}")
    return 0


def cmd_down() -> int:
    t0 = time.monotonic()
    errors = _parallel(stop_service, list(SERVICES.values()))
    (LAYOUT.run / "stack.env").unlink(missing_ok=True)
    for err in errors:
        say(f"FAILED: {err}")
    say(f"down in {time.monotonic() - t0:.1f}s")
    return 1 if errors else 0


def cmd_status() -> int:
    all_up = True
    for svc in SERVICES.values():
        pid = _pidfile(svc).live_pid()
        ports = ",".join(str(p) for p in svc.ports)
        if pid is not None:
            state = "running" if all(port_open(p) for p in svc.ports) else "running (port closed)"
            print(f"{svc.name:<10} {state:<22} pid {pid:<8} 127.0.0.1:{ports}")
        elif svc.missing(LAYOUT) is not None:
            print(f"{svc.name:<10} {'unavailable':<22} {svc.missing(LAYOUT)}")
        else:
            all_up = False
            print(f"{svc.name:<10} {'stopped':<22} {'-':<12} 127.0.0.1:{ports}")
    return 0 if all_up else 3


def cmd_clean() -> int:
    cmd_down()
    pg = LAYOUT.data("pg")
    if pg.is_symlink():
        shutil.rmtree(pg.resolve(), ignore_errors=True)
    shutil.rmtree(LAYOUT.run, ignore_errors=True)
    say(f"removed {LAYOUT.run}")
    return 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="ops/stack", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command", choices=["up", "down", "status", "start", "stop", "restart", "clean", "env"]
    )
    parser.add_argument("services", nargs="*", help="service names (up/start/stop/restart)")
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            return cmd_status()
        if args.command == "env":
            env_file = LAYOUT.run / "stack.env"
            if not env_file.exists():
                raise StackError("the stack is not up (no run/stack.env)")
            sys.stdout.write(env_file.read_text())
            return 0
        with _locked():
            return _dispatch(args.command, args.services, parser)
    except StackError as exc:
        say(f"ERROR: {exc}")
        return 1


def _dispatch(command: str, names: list[str], parser: argparse.ArgumentParser) -> int:
    if command == "up":
        return cmd_up(names)
    if command == "down":
        return cmd_down()
    if command == "clean":
        return cmd_clean()
    if not names:
        parser.error(f"{command} needs at least one service: {', '.join(SERVICES)}")
    services = _resolve(names)
    if command in ("stop", "restart"):
        for svc in services:
            stop_service(svc)
    if command in ("start", "restart"):
        errors = _parallel(start_service, services)
        for err in errors:
            say(f"FAILED: {err}")
        if errors:
            return 1
        write_env()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
