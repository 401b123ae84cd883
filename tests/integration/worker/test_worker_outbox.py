"""Killing the venue broker for 20 s loses no event: the outbox holds them until PUBACK."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from edge.worker.app import Worker
from schemas.messages import AdBreakEnded, AdBreakStarted, DeviceStatus
from schemas.topics import device_filter
from tests.support.fake_roku import run_fake_roku
from tests.support.mosquitto import run_mosquitto

from .conftest import ColourDetector, write_colour_clip
from .test_worker_plumbing import DEV, secs, worker_config

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]
LOOP_S, AD = 6.0, (2.0, 4.0)


async def wait(rec: Any, pred: Any, limit_s: float, what: str) -> None:
    await asyncio.to_thread(rec.wait_for, pred, limit_s, what)


async def test_broker_down_20s_loses_no_event(tmp_path: Path, recorder_factory: Any) -> None:
    clip = write_colour_clip(tmp_path / "clip.mp4", LOOP_S, [AD])
    with run_mosquitto() as broker, run_fake_roku() as (_h, roku_port, _tv):
        rec = recorder_factory(broker.host, broker.port, [device_filter(*DEV)])
        await asyncio.sleep(0.3)
        cfg = worker_config(tmp_path, clip, broker.port, roku_port, loop=True, speed=2.0)
        worker = Worker(cfg, factory=ColourDetector)  # type: ignore[arg-type]
        run = asyncio.create_task(worker.run())
        await wait(rec, lambda: len(rec.of(AdBreakEnded)) >= 1, 30, "first break")
        broker.kill()
        await asyncio.sleep(20)
        during = worker.spool.depth
        broker.start()
        await asyncio.sleep(4)
        worker.request_stop()
        assert await asyncio.wait_for(run, 30) == 0
        assert worker.outbox_left == 0
        await wait(rec, lambda: rec.of(DeviceStatus)[-1].state == "offline", 15, "offline")
    # events queued while the broker was down (at 2x speed: a break every 3 s of wall time)
    assert during >= 6
    started = sorted({round(secs(m.started_at), 1) for m in rec.of(AdBreakStarted)})
    ended = sorted({round(secs(m.ended_at), 1) for m in rec.of(AdBreakEnded)})
    loops = len(ended)
    assert loops >= 8, f"only {loops} breaks seen"
    # every loop's break arrived, start and end, in an unbroken sequence
    assert started[:loops] == [AD[0] + k * LOOP_S for k in range(loops)]
    assert ended == [AD[1] + k * LOOP_S for k in range(loops)]
