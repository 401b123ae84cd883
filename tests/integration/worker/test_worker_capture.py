"""Capture from a network URL (HTTP through OpenCV/FFmpeg) with reconnect and backoff."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from edge.worker.app import Worker
from edge.worker.config import parse_config
from schemas.messages import AdBreakEnded, HealthReport
from schemas.topics import device_filter
from tests.support.mosquitto import run_mosquitto

from .conftest import ColourDetector, write_colour_clip

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
DEV = ("acme", "bar-1", "cam-1")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def http_dir(root: Path) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


async def test_http_source_is_retried_until_it_appears_and_reopened_at_its_end(
    tmp_path: Path, recorder_factory: Any
) -> None:
    served = tmp_path / "www"
    served.mkdir()
    clip = write_colour_clip(tmp_path / "clip.mp4", 3.0, [(1.0, 2.0)])
    with run_mosquitto() as broker, http_dir(served) as http_port:
        rec = recorder_factory(broker.host, broker.port, [device_filter(*DEV)])
        cfg = parse_config(
            {
                "device": {"tenant": DEV[0], "location": DEV[1], "device": DEV[2]},
                "source": {
                    "url": f"http://127.0.0.1:{http_port}/live.mp4",
                    "reconnect_initial_s": 0.2,
                    "reconnect_max_s": 0.5,
                },
                "broker": {"port": broker.port},
                "outbox": {"path": str(tmp_path / "outbox.sqlite")},
                "intervals": {"health_s": 0.5},
                "policy": {"action": "none"},
            }
        )
        worker = Worker(cfg, factory=ColourDetector)  # type: ignore[arg-type]
        run = asyncio.create_task(worker.run())
        await asyncio.sleep(1.5)  # the stream is not there yet: 404, retried with backoff
        assert worker.counters().frames_captured == 0
        (served / "live.mp4").write_bytes(clip.read_bytes())
        two = lambda: len(rec.of(AdBreakEnded)) >= 2  # noqa: E731
        await asyncio.to_thread(rec.wait_for, two, 30, "breaks from two stream sessions")
        worker.request_stop()
        assert await asyncio.wait_for(run, 30) == 0
    assert worker.counters().frames_captured >= 2 * 90
    assert any(h.fps > 0 for h in rec.of(HealthReport))
