"""The simulator's I/O: one paho-mqtt connection, paced QoS 1 publishing, PUBACK counting."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from edge.simulate.fleet import FleetShape, SimDevice, Traffic, build_fleet
from schemas.codec import encode
from schemas.messages import Message
from schemas.topics import TopicKind


class SimulateError(Exception):
    """The simulator could not connect or did not get every publish acknowledged."""


@dataclass(frozen=True, slots=True)
class RunPlan:
    host: str
    port: int
    rate: float
    duration_s: float
    shape: FleetShape
    offline_fraction: float = 0.0
    retain_status: bool = True
    inflight: int = 1000
    ack_timeout_s: float = 120.0
    client_id: str = ""


@dataclass(frozen=True, slots=True)
class RunResult:
    published: int
    acknowledged: int
    elapsed_s: float
    devices_online: frozenset[str]
    """``tenant/location/device`` of every device whose last status was online."""


class _Acks:
    def __init__(self) -> None:
        self.count = 0
        self.connected = threading.Event()

    def on_publish(
        self, _c: mqtt.Client, _u: object, _mid: int, _rc: ReasonCode, _p: object
    ) -> None:
        self.count += 1  # only paho's thread writes

    def on_connect(
        self, _c: mqtt.Client, _u: object, _f: object, rc: ReasonCode, _p: object
    ) -> None:
        if not rc.is_failure:
            self.connected.set()


def _schedule(
    fleet: list[SimDevice], plan: RunPlan, traffic: Traffic, rng: random.Random
) -> Iterator[tuple[SimDevice, TopicKind, Message]]:
    """Every device's online status first, then random devices' periodic traffic until the
    caller stops asking; the offline statuses come from ``_goodbyes``."""
    for dev in fleet:
        kind, msg = traffic.online(dev, datetime.now(UTC))
        yield dev, kind, msg
    while True:
        dev = fleet[rng.randrange(len(fleet))]
        kind, msg = traffic.next(dev, datetime.now(UTC))
        yield dev, kind, msg


class Simulator:
    def __init__(self, plan: RunPlan, ids_out: TextIO | None, progress: TextIO = sys.stderr):
        self._plan = plan
        self._ids = ids_out
        self._progress = progress
        self._acks = _Acks()
        cid = plan.client_id or f"adwatch-sim-{plan.shape.prefix}-{plan.shape.seed}"
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
        self._client.on_publish = self._acks.on_publish
        self._client.on_connect = self._acks.on_connect
        self._client.max_inflight_messages_set(plan.inflight)
        self._client.max_queued_messages_set(0)
        self._published = 0

    def _send(self, dev: SimDevice, kind: TopicKind, msg: Message) -> None:
        retain = kind is TopicKind.STATUS and self._plan.retain_status
        info = self._client.publish(dev.topic(kind), encode(msg), qos=1, retain=retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise SimulateError(f"publish refused: {mqtt.error_string(info.rc)}")
        self._published += 1
        if self._ids is not None:
            self._ids.write(f"{msg.message_id}\n")

    def run(self) -> RunResult:
        plan = self._plan
        try:
            self._client.connect(plan.host, plan.port, keepalive=30)
        except OSError as exc:
            raise SimulateError(f"cannot connect to {plan.host}:{plan.port}: {exc}") from exc
        self._client.loop_start()
        try:
            if not self._acks.connected.wait(15):
                raise SimulateError("no CONNACK within 15 s")
            return self._run_paced()
        finally:
            self._client.disconnect()
            self._client.loop_stop()

    def _run_paced(self) -> RunResult:
        plan = self._plan
        rng = random.Random(plan.shape.seed)
        fleet = build_fleet(plan.shape)
        schedule = _schedule(fleet, plan, Traffic(random.Random(plan.shape.seed + 1)), rng)
        start = time.monotonic()
        next_report = start + 5.0
        while (now := time.monotonic()) - start < plan.duration_s:
            due = int(plan.rate * (now - start)) + 1
            # At most a slice per tick (so the clock is checked), and no more un-acked
            # publishes than twice the in-flight window (paho would queue without bound).
            budget = min(due - self._published, 2 * plan.inflight - self._unacked(), 1000)
            for _ in range(max(0, budget)):
                self._send(*next(schedule))
            if now >= next_report:
                self._report(now - start)
                next_report += 5.0
            time.sleep(0.002)
        offline = _goodbyes(fleet, plan.offline_fraction, rng)
        for dev in offline:
            self._send(dev, *Traffic(rng).offline(dev, datetime.now(UTC)))
        self._wait_acks(plan.ack_timeout_s)
        gone = {d.device for d in offline}
        online = frozenset(
            f"{d.tenant}/{d.location}/{d.device}" for d in fleet if d.sent and d.device not in gone
        )
        return RunResult(self._published, self._acks.count, time.monotonic() - start, online)

    def _unacked(self) -> int:
        return self._published - self._acks.count

    def _wait_acks(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._acks.count < self._published and time.monotonic() < deadline:
            time.sleep(0.05)

    def _report(self, elapsed: float) -> None:
        print(
            f"simulate: {elapsed:6.1f}s sent={self._published} acked={self._acks.count} "
            f"rate={self._published / max(elapsed, 1e-9):.0f}/s",
            file=self._progress,
            flush=True,
        )


def _goodbyes(fleet: list[SimDevice], fraction: float, rng: random.Random) -> list[SimDevice]:
    """The devices that say goodbye (offline status) at the end of the run."""
    count = round(len(fleet) * fraction)
    return rng.sample([d for d in fleet if d.sent], min(count, len(fleet)))


def write_online(path: Path, result: RunResult) -> None:
    path.write_text("".join(f"{d}\n" for d in sorted(result.devices_online)))
