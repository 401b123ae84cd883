"""The worker's plumbing against real Mosquitto and a fake Roku, with a transparent detector.

Capture, the policy actor, the MQTT link with its durable outbox, downlink and SIGTERM are
exercised here; the real detection engine is exercised by test_worker_e2e.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from edge.worker.app import Worker
from edge.worker.config import parse_config
from schemas.codec import encode
from schemas.ids import new_message_id
from schemas.messages import (
    AdBreakEnded,
    AdBreakStarted,
    BreakPolicy,
    Command,
    CommandResult,
    DesiredConfig,
    DeviceStatus,
    HealthReport,
    TelemetryPeriod,
)
from schemas.topics import TopicKind, device_filter, device_topic
from tests.support.fake_roku import run_fake_roku
from tests.support.mosquitto import run_mosquitto

from .conftest import ColourDetector, write_colour_clip

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
DEV = ("acme", "bar-1", "tv-1")


def worker_config(tmp: Path, clip: Path, port: int, roku_port: int, **source: Any) -> Any:
    return parse_config(
        {
            "device": {"tenant": DEV[0], "location": DEV[1], "device": DEV[2]},
            "source": {"url": str(clip), "start_time": EPOCH, **source},
            "broker": {"host": "127.0.0.1", "port": port, "reconnect_max_s": 1.0},
            "outbox": {"path": str(tmp / "outbox.sqlite"), "drain_timeout_s": 5},
            "intervals": {"health_s": 1.0, "telemetry_s": 2.0},
            "detect": {"sample_fps": 10},
            "policy": {"action": "mute"},
            "tv": {
                "timeout_s": 2,
                "controllers": [
                    {"type": "roku", "name": "living-room", "host": "127.0.0.1", "port": roku_port}
                ],
            },
        }
    )


def secs(ts: datetime) -> float:
    return (ts - EPOCH).total_seconds()


async def test_break_events_tv_presses_reports_and_clean_end(
    tmp_path: Path, recorder_factory: Any
) -> None:
    clip = write_colour_clip(tmp_path / "clip.mp4", 8.0, [(3.0, 6.0)])
    with run_mosquitto() as broker, run_fake_roku() as (_h, roku_port, tv):
        rec = recorder_factory(broker.host, broker.port, [device_filter(*DEV)])
        await asyncio.sleep(0.5)
        cfg = worker_config(tmp_path, clip, broker.port, roku_port, speed=2.0)
        worker = Worker(cfg, factory=ColourDetector)  # type: ignore[arg-type]
        assert await asyncio.wait_for(worker.run(), 60) == 0
        offline = lambda: rec.of(DeviceStatus)[-1].state == "offline"  # noqa: E731
        await asyncio.to_thread(rec.wait_for, offline, 10, "offline")
    started, ended = rec.of(AdBreakStarted), rec.of(AdBreakEnded)
    assert len(started) == 1 and len(ended) == 1
    assert abs(secs(started[0].started_at) - 3.0) <= 0.15
    assert abs(secs(ended[0].ended_at) - 6.0) <= 0.15
    assert started[0].break_id == ended[0].break_id
    assert (started[0].action, started[0].controller) == ("mute", "living-room")
    assert (ended[0].action, ended[0].controller) == ("mute", "living-room")
    assert tv.keypresses() == ["keypress/VolumeMute", "keypress/VolumeMute"]
    topics = {r.topic for r in rec.received() if isinstance(r.msg, AdBreakStarted | AdBreakEnded)}
    assert topics == {device_topic(*DEV, TopicKind.AD_EVENTS)}
    health, telemetry = rec.of(HealthReport), rec.of(TelemetryPeriod)
    assert len(health) >= 2 and len(telemetry) >= 2
    assert all(h.fps > 0 for h in health[1:])
    assert sum(t.breaks for t in telemetry) == 1
    assert sum(t.frames_captured for t in telemetry) == 8 * 30
    assert 2.5 <= sum(t.ad_seconds for t in telemetry) <= 3.5
    assert worker.outbox_left == 0
    statuses = rec.of(DeviceStatus)
    assert statuses[0].state == "online" and statuses[-1].state == "offline"


async def test_downlink_config_commands_and_sigterm(tmp_path: Path, recorder_factory: Any) -> None:
    clip = write_colour_clip(tmp_path / "clip.mp4", 4.0, [(1.0, 2.0)])
    cfg_topic, cmd_topic = (device_topic(*DEV, k) for k in (TopicKind.CONFIG, TopicKind.CMD))
    with run_mosquitto() as broker, run_fake_roku() as (_h, roku_port, tv):
        rec = recorder_factory(broker.host, broker.port, [device_filter(*DEV)])
        await asyncio.sleep(0.3)
        desired = DesiredConfig.new(
            version=7,
            threshold=0.6,
            health_interval_s=1.0,
            telemetry_interval_s=1.0,
            policy=BreakPolicy(action="switch_input", ad_input="hdmi2"),
        )
        rec.publish(cfg_topic, encode(desired), retain=True)
        cfg = worker_config(tmp_path, clip, broker.port, roku_port, loop=True, speed=1.0)
        cfg = parse_config({**_as_dict(cfg), "policy": {"action": "mute", "normal_input": "tv"}})
        worker = Worker(cfg, factory=ColourDetector)  # type: ignore[arg-type]
        run = asyncio.create_task(worker.run())
        v7 = lambda: any(s.config_version == 7 for s in rec.of(DeviceStatus))  # noqa: E731
        await asyncio.to_thread(rec.wait_for, v7, 15, "v7")
        cmd_ids = [new_message_id(), new_message_id(), new_message_id()]
        for cid, verb in zip(
            cmd_ids, ["snapshot-status", "restart-pipeline", "reboot"], strict=True
        ):
            await asyncio.to_thread(
                rec.publish, cmd_topic, encode(Command.new(command_id=cid, verb=verb))
            )
        three = lambda: len(rec.of(CommandResult)) == 3  # noqa: E731
        await asyncio.to_thread(rec.wait_for, three, 15, "command results")
        await asyncio.to_thread(rec.wait_for, lambda: len(rec.of(AdBreakEnded)) >= 1, 20, "break")
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(run, 30) == 0
        offline = lambda: rec.of(DeviceStatus)[-1].state == "offline"  # noqa: E731
        await asyncio.to_thread(rec.wait_for, offline, 10, "offline")
    assert worker.outbox_left == 0
    results = {r.command_id: r for r in rec.of(CommandResult)}
    snap = results[cmd_ids[0]]
    assert snap.ok and snap.data["config_version"] == "7" and snap.data["policy"] == "switch_input"
    assert results[cmd_ids[1]].ok
    assert not results[cmd_ids[2]].ok and "unknown verb 'reboot'" in results[cmd_ids[2]].detail
    # the cloud's policy (switch_input to hdmi2) replaced the file's mute; normal_input is local
    presses = tv.keypresses()
    assert presses[:2] == ["keypress/InputHDMI2", "keypress/InputTuner"]
    assert "keypress/VolumeMute" not in presses


def _as_dict(cfg: Any) -> dict[str, Any]:
    import msgspec

    return msgspec.to_builtins(cfg)  # type: ignore[no-any-return]


async def test_unreachable_tv_at_runtime_is_a_failed_action_not_a_hang(
    tmp_path: Path, recorder_factory: Any
) -> None:
    from tests.support.ports import free_port

    clip = write_colour_clip(tmp_path / "clip.mp4", 3.0, [(1.0, 2.0)])
    with run_mosquitto() as broker:
        rec = recorder_factory(broker.host, broker.port, [device_filter(*DEV)])
        await asyncio.sleep(0.3)
        cfg = worker_config(tmp_path, clip, broker.port, free_port(), speed=0.0)
        worker = Worker(cfg, factory=ColourDetector)  # type: ignore[arg-type]
        assert await asyncio.wait_for(worker.run(), 60) == 0
        offline = lambda: rec.of(DeviceStatus)[-1].state == "offline"  # noqa: E731
        await asyncio.to_thread(rec.wait_for, offline, 10, "offline")
    [started], [ended] = rec.of(AdBreakStarted), rec.of(AdBreakEnded)
    assert (started.action, started.controller) == ("failed", "")
    assert ended.action == "failed"
