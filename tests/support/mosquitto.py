"""A private Mosquitto broker for tests that must stop, kill or restart a broker.

    with run_mosquitto() as broker:          # free port, anonymous, persistent
        client.connect(broker.host, broker.port)
        broker.stop(); ...; broker.start()    # same port, same persistence file

The process is always killed when the block exits, even if the test fails.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.ports import free_port

HOST = "127.0.0.1"


def mosquitto_bin() -> str:
    """The mosquitto executable (Debian puts it in /usr/sbin, which a user's PATH may lack)."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError("mosquitto is not installed (ops/stack up installs it)")
    return found


def _config(port: int, data_dir: Path, extra: str) -> str:
    lines = [
        "per_listener_settings false",
        "allow_anonymous true",
        f"listener {port} {HOST}",
        "persistence true",
        f"persistence_location {data_dir}/",
        "log_dest stdout",
        "log_type all",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    ]
    if os.geteuid() == 0:
        lines.append("user root")  # otherwise it drops to user mosquitto, who cannot write here
    return "\n".join(lines) + "\n" + extra + "\n"


def _connack(port: int, timeout: float = 1.0) -> bool:
    """Send an MQTT 3.1.1 CONNECT; True when any CONNACK comes back (the broker serves MQTT)."""
    client_id = b"adwatch-probe"
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(bytes([0x10, len(variable)]) + variable)
            reply = sock.recv(4)
            sock.sendall(b"\xe0\x00")
            return reply[:1] == b"\x20"
    except OSError:
        return False


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: SIGKILL me when the test process dies (even by SIGKILL or os._exit)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _preexec() -> Callable[[], None] | None:
    # PDEATHSIG fires when the *thread* that forked exits, so only tie it to the main thread.
    return _die_with_parent if threading.current_thread() is threading.main_thread() else None


class MosquittoBroker:
    """One private Mosquitto process; stop()/start() keep the port and the persistence file."""

    def __init__(self, workdir: Path, port: int, extra_config: str) -> None:
        self.host = HOST
        self.port = port
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "mosquitto.conf"
        self.config_path.write_text(_config(port, self.data_dir, extra_config))
        self.log_path = workdir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc is not None else None

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart after stop/kill) on the same port; wait for a CONNACK."""
        if self.running:
            return
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [mosquitto_bin(), "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_preexec(),  # no orphan broker if pytest is killed mid-test
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited at start-up:\n{self.log_text()[-2000:]}")
            if _connack(self.port):
                return
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"mosquitto on port {self.port} not ready after {timeout}s")

    def stop(self, timeout: float = 5.0) -> None:
        """Graceful stop (SIGTERM: it saves its persistence file); SIGKILL if it hangs."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout)
        self._proc = None

    def kill(self) -> None:
        """Crash it (SIGKILL): nothing is saved since the last autosave."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(10)
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@contextmanager
def run_mosquitto(extra_config: str = "", port: int | None = None) -> Iterator[MosquittoBroker]:
    """Run a private Mosquitto 2 (MQTT 3.1.1 + 5) on PORT or a free loopback port.

    EXTRA_CONFIG is appended to the generated config (e.g. ``max_queued_messages 10``, a
    ``password_file``, more listeners). The broker is killed and its folder removed on exit.
    """
    mosquitto_bin()  # fail early and clearly
    workdir = Path(tempfile.mkdtemp(prefix="adwatch-mosquitto-"))
    broker = MosquittoBroker(workdir, port if port is not None else free_port(), extra_config)
    try:
        broker.start()
        yield broker
    finally:
        broker.kill()
        shutil.rmtree(workdir, ignore_errors=True)
