"""Fixtures for TV protocol tests: a real lircd on a temp socket, the fake cec-client on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

LIRCD_CONFS = Path(__file__).resolve().parents[3] / "edge" / "tv" / "keymaps" / "lircd"
SUPPORT = Path(__file__).resolve().parents[2] / "support"


@dataclass
class Lircd:
    socket: Path
    output: Path

    def pulses(self) -> list[tuple[str, int]]:
        """The pulse/space train the file driver wrote so far."""
        out: list[tuple[str, int]] = []
        for line in self.output.read_text().splitlines():
            kind, _, value = line.partition(" ")
            if kind in ("pulse", "space"):
                out.append((kind, int(value)))
        return out


@pytest.fixture
def lircd(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Lircd]:
    """Debian's lircd with the file driver, serving the remote named by the test's param."""
    if shutil.which("lircd") is None:
        pytest.fail("lircd is not installed (Debian package lirc)")
    brand = getattr(request, "param", "samsung")
    opts = tmp_path / "lircd_options.conf"
    opts.write_text("[lircd]\nnodaemon = True\n")
    sock, out = tmp_path / "lircd.sock", tmp_path / "ir-out.txt"
    argv = [
        "lircd",
        "--driver=file",
        f"--device={out}",
        "--allow-simulate",
        f"--output={sock}",
        f"--pidfile={tmp_path / 'lircd.pid'}",
        f"--logfile={tmp_path / 'lircd.log'}",
        f"--options-file={opts}",
        str(LIRCD_CONFS / f"{brand}.lircd.conf"),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (
                    (tmp_path / "lircd.log").read_text()
                    if (tmp_path / "lircd.log").exists()
                    else ""
                )
                pytest.fail(f"lircd did not start: {log}")
            time.sleep(0.05)
        yield Lircd(sock, out)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def fake_cec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the stand-in cec-client first on PATH; returns the log of lines it received."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "cec-client").symlink_to(SUPPORT / "fake_cec_client")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    log = tmp_path / "cec.log"
    monkeypatch.setenv("FAKE_CEC_LOG", str(log))
    monkeypatch.setenv("FAKE_CEC_MODE", "ok")
    return log
