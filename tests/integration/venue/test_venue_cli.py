"""The ``adwatch-broker`` sub-commands as processes: --help, and ``venue --dev``."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.topics import device_topic
from tests.integration.venue.venue_support import LOCATION, TENANT, Inbox, client
from tests.support.ports import free_port, port_open

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
CLI = [sys.executable, "-m", "broker.cli"]


@pytest.mark.parametrize("command", ["venue", "bridge", "mosquitto-config"])
def test_help(command: str) -> None:
    done = subprocess.run([*CLI, command, "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert f"adwatch-broker {command}" in done.stdout


def test_venue_without_config_or_dev_refuses() -> None:
    done = subprocess.run([*CLI, "venue"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "--config is required" in done.stderr


@pytest.fixture
def dev_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    log = tmp_path / "venue.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*CLI, "venue", "--dev", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 20
    while not port_open(port, "127.0.0.1", timeout=0.2):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    yield port, log
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


async def test_dev_mode_warns_and_keeps_anonymous_sessions(dev_broker: tuple[int, Path]) -> None:
    port, log = dev_broker
    cmd = device_topic(TENANT, LOCATION, "tv-1", "cmd")
    async with client(port, None, client_id="tv-1", clean_session=False) as device:
        await device.subscribe([(cmd, 1)])
    async with client(port, None, client_id="anyone") as other:
        await other.publish(cmd, b"while-away", qos=1)
    inbox = Inbox()
    async with client(port, None, client_id="tv-1", inbox=inbox, clean_session=False):
        got = await inbox.wait_for(1)
    await asyncio.sleep(0)
    assert [m.payload for m in got] == [b"while-away"]
    assert "NOT FOR PRODUCTION" in log.read_text()
