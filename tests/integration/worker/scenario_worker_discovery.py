"""Worker discovery scenario: the worker finds its venue broker by mDNS and follows a
failover to a newer leader's broker. Prints one JSON result as its last stdout line.

Run through ``tests.integration.coordinator.netns.run_scenario`` (private netns).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from edge.discovery import BrokerAdvert
from edge.worker.app import Worker
from edge.worker.config import parse_config
from schemas.messages import AdBreakEnded, DeviceStatus
from schemas.topics import device_filter
from tests.integration.worker.conftest import ColourDetector, MqttRecorder, write_colour_clip
from tests.support.mosquitto import run_mosquitto

IFACES = ["127.0.0.1"]
DEV = ("acme", "bar-9", "tv-3")


def recorder(port: int) -> MqttRecorder:
    rec = MqttRecorder("127.0.0.1", port, [device_filter(*DEV)])
    rec.start()
    return rec


async def until(rec: MqttRecorder, pred: Any, limit_s: float, what: str) -> None:
    await asyncio.to_thread(rec.wait_for, pred, limit_s, what)


async def scenario(tmp: Path) -> dict[str, Any]:
    clip = write_colour_clip(tmp / "clip.mp4", 3.0, [(1.0, 2.0)])
    with run_mosquitto() as a, run_mosquitto() as b:
        rec_a, rec_b = recorder(a.port), recorder(b.port)
        cfg = parse_config(
            {
                "device": {"tenant": DEV[0], "location": DEV[1], "device": DEV[2]},
                "source": {"url": str(clip), "loop": True, "speed": 2.0},
                "broker": {
                    "discover": True,
                    "interfaces": IFACES,
                    "discover_timeout_s": 5,
                    "reconnect_max_s": 1.0,
                },
                "outbox": {"path": str(tmp / "outbox.sqlite")},
                "policy": {"action": "none"},
            }
        )
        async with BrokerAdvert(
            DEV[0], DEV[1], "127.0.0.1", a.port, 3, "1", interfaces=IFACES, node="leader-a"
        ):
            worker = Worker(cfg, factory=ColourDetector)  # type: ignore[arg-type]
            run = asyncio.create_task(worker.run())
            await until(rec_a, lambda: len(rec_a.of(AdBreakEnded)) >= 1, 30, "events at A")
            async with BrokerAdvert(
                DEV[0], DEV[1], "127.0.0.1", b.port, 4, "1", interfaces=IFACES, node="leader-b"
            ):
                await until(rec_b, lambda: len(rec_b.of(AdBreakEnded)) >= 1, 30, "events at B")
                worker.request_stop()
                code = await asyncio.wait_for(run, 30)
        rec_a.stop()
        rec_b.stop()
    return {
        "exit": code,
        "events_at_a": len(rec_a.of(AdBreakEnded)),
        "events_at_b": len(rec_b.of(AdBreakEnded)),
        "b_online_seen": any(s.state == "online" for s in rec_b.of(DeviceStatus)),
        "outbox_left": worker.outbox_left,
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(asyncio.run(scenario(Path(d)))))
