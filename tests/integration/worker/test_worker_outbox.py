"""Killing the venue broker for 20 s loses no event: the real worker process (real engine,
generated broadcast clip looping) keeps its events in the outbox until the broker PUBACKs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.messages import AdBreakEnded, AdBreakStarted, DeviceStatus
from schemas.topics import device_filter
from tests.support.fake_roku import run_fake_roku
from tests.support.mosquitto import run_mosquitto

from .test_worker_e2e import DEV, PER_EVENT_TOLERANCE_S, ROOT, config_text, secs

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
OUTAGE_S = 20.0


def test_broker_down_20s_loses_no_event(
    tmp_path: Path, broadcast_clip: tuple[Path, Any], recorder_factory: Any
) -> None:
    video, truth = broadcast_clip
    brk, length = truth.breaks[0], truth.duration_s
    with run_mosquitto() as broker, run_fake_roku() as (_h, roku_port, tv):
        rec = recorder_factory(broker.host, broker.port, [device_filter(*DEV)])
        time.sleep(0.3)
        cfg = tmp_path / "worker.toml"
        cfg.write_text(config_text(tmp_path, video, broker.port, roku_port, loop=True))
        proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "worker", "--config", str(cfg)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            rec.wait_for(lambda: len(rec.of(AdBreakEnded)) >= 1, 60, "the first break")
            broker.kill()
            down_at = datetime.now(UTC)
            time.sleep(OUTAGE_S)  # at 15x real time, about two more passes of the clip
            up_at = datetime.now(UTC)
            broker.start()
            rec.wait_for(lambda: len(rec.of(AdBreakEnded)) >= 3, 30, "the queued breaks")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err[-3000:]
        rec.wait_for(lambda: rec.of(DeviceStatus)[-1].state == "offline", 15, "offline status")
    ended = sorted({round(secs(m.started_at), 1): m for m in rec.of(AdBreakEnded)}.items())
    started = {round(secs(m.started_at)) for m in rec.of(AdBreakStarted)}
    assert len(ended) >= 3
    for k, (start, msg) in enumerate(ended):  # one break per pass, no pass missing
        assert abs(start - (brk.start_s + k * length)) <= PER_EVENT_TOLERANCE_S, (k, start)
        assert abs(secs(msg.ended_at) - (brk.end_s + k * length)) <= PER_EVENT_TOLERANCE_S
    assert len(started) >= len(ended)
    during = [m for _, m in ended if down_at < m.ts < up_at]
    assert len(during) >= 1, "no break was decided while the broker was down"
    presses = tv.keypresses()
    assert presses.count("keypress/VolumeMute") >= 2 * len(ended)
