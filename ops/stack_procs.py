"""Process bookkeeping for ops/stack: pid files, spawning, liveness, stopping (stdlib only).

A pid file holds "PID STARTTIME" (STARTTIME from /proc/PID/stat) so a recycled PID is never
mistaken for our service. We only ever signal PIDs we recorded — never processes found by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_print_lock = threading.Lock()


def say(msg: str) -> None:
    """Print one progress line (thread-safe, flushed)."""
    with _print_lock:
        print(f"[stack] {msg}", flush=True)


@dataclass(frozen=True)
class Launch:
    """How to start one service process."""

    argv: Sequence[str]
    cwd: Path
    user: str | None = None  # run as this user (only meaningful when we are root)
    env: Mapping[str, str] | None = None


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, starttime) of a process, or None if it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); starttime is field 22 -> index 19.
    return fields[0], int(fields[19])


def starttime(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return None if stat is None else stat[1]


def is_alive(pid: int, start: int | None = None) -> bool:
    """True if PID runs (not a zombie) and, when given, started at START."""
    stat = _proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    return start is None or stat[1] == start


class PidFile:
    """run/pids/NAME.pid"""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> tuple[int, int] | None:
        try:
            pid_s, start_s = self.path.read_text().split()
            return int(pid_s), int(start_s)
        except (OSError, ValueError):
            return None

    def live_pid(self) -> int | None:
        """The recorded PID if that very process still runs; clears a stale file."""
        rec = self.read()
        if rec is None:
            return None
        if is_alive(*rec):
            return rec[0]
        self.clear()
        return None

    def write(self, pid: int) -> None:
        start = starttime(pid)
        if start is None:
            raise RuntimeError(f"process {pid} vanished before it was recorded")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{pid} {start}\n")
        tmp.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def spawn(launch: Launch, log_path: Path) -> subprocess.Popen[bytes]:
    """Start a detached service process (own session), output appended to LOG_PATH."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    user = launch.user if (launch.user and os.geteuid() == 0) else None
    env = dict(os.environ if launch.env is None else launch.env)
    with log_path.open("ab") as log:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        log.write(f"\n===== [stack] start {stamp}: {' '.join(launch.argv)}\n".encode())
        log.flush()
        return subprocess.Popen(
            list(launch.argv),
            cwd=launch.cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: survives us, killable as a group
            env=env,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )


def _wait_gone(pid: int, start: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap if it happens to be our child
        if not is_alive(pid, start):
            return True
        time.sleep(0.1)
    return not is_alive(pid, start)


def terminate(pid: int, start: int, sig: signal.Signals, timeout: float) -> str:
    """Stop a recorded process: SIG, wait up to TIMEOUT, then SIGKILL its process group."""
    if not is_alive(pid, start):
        return "was not running"
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return "was not running"
    if _wait_gone(pid, start, timeout):
        return f"stopped ({sig.name})"
    # The service leads its own session (start_new_session), so its group is ours to kill.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _wait_gone(pid, start, 10)
    return f"killed (no exit {timeout:.0f}s after {sig.name})"


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def run_quiet(
    argv: Sequence[str], timeout: float, **kw: object
) -> subprocess.CompletedProcess[str]:
    """Run a short helper command, capturing output; a timeout counts as a failure (rc 124)."""
    try:
        done: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
            list(argv), capture_output=True, text=True, timeout=timeout, check=False, **kw
        )
        return done
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else ""
        return subprocess.CompletedProcess(list(argv), 124, out, f"timed out after {timeout}s")


def die(msg: str, code: int = 1) -> None:
    say(f"ERROR: {msg}")
    sys.exit(code)
