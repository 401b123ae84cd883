"""A venue in processes: venue broker + bridge (``adwatch-broker`` commands), workers, cloud."""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from schemas.codec import decode, encode
from schemas.ids import new_message_id, utc_now
from schemas.messages import AdBreakStarted, TelemetryPeriod
from schemas.topics import device_filter, device_topic
from tests.integration.venue.venue_support import LOCATION, PASSWORDS, TENANT, write_passwords
from tests.support.mosquitto import MosquittoBroker
from tests.support.ports import free_port, port_open

CLI = [sys.executable, "-m", "broker.cli"]


def uplink_message(device: str, i: int) -> tuple[str, bytes, uuid.UUID]:
    """An event or a telemetry period (alternating), encoded with the contract's codec."""
    now = utc_now()
    if i % 2:
        kind = "events/ad"
        msg: AdBreakStarted | TelemetryPeriod = AdBreakStarted.new(
            break_id=new_message_id(),
            source="hdmi-1",
            started_at=now,
            confidence=0.9,
            action="mute",
            model_version="m1",
        )
    else:
        kind = "telemetry"
        msg = TelemetryPeriod.new(
            period_start=now - timedelta(seconds=60),
            period_end=now,
            frames_captured=i,
            frames_analysed=i,
            frames_dropped=0,
            ad_seconds=1.0,
            content_seconds=59.0,
            breaks=0,
        )
    return device_topic(TENANT, LOCATION, device, kind), encode(msg), msg.message_id


class CloudCollector:
    """A persistent-session subscriber on the cloud broker counting message ids."""

    def __init__(self, cloud: MosquittoBroker) -> None:
        self.ids: list[uuid.UUID] = []
        self._lock = threading.Lock()
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id="cloud-collector", clean_session=False
        )
        self._client.reconnect_delay_set(1, 1)
        self._client.on_message = self._on_message
        self._client.on_connect = lambda c, *_: c.subscribe(device_filter(TENANT), 1)
        self._client.connect(cloud.host, cloud.port)
        self._client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: paho.MQTTMessage) -> None:
        message_id = decode(msg.payload).message_id
        with self._lock:
            self.ids.append(message_id)

    def distinct(self) -> set[uuid.UUID]:
        with self._lock:
            return set(self.ids)

    def count(self) -> int:
        with self._lock:
            return len(self.ids)

    def wait_distinct(self, expected: set[uuid.UUID], within: float) -> set[uuid.UUID]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            got = self.distinct()
            if expected <= got:
                return got
            time.sleep(0.1)
        return self.distinct()

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def publish_as_worker(port: int, device: str, count: int, sent: list[uuid.UUID]) -> None:
    """A worker stand-in: persistent session, QoS 1, waits for every PUBACK."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=device, clean_session=False)
    client.username_pw_set(device, PASSWORDS[device])
    client.max_inflight_messages_set(50)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = []
        for i in range(count):
            topic, payload, message_id = uplink_message(device, i)
            infos.append(client.publish(topic, payload, qos=1))
            sent.append(message_id)
        for info in infos:
            info.wait_for_publish(120)
            assert info.is_published(), "the venue broker did not acknowledge a publish"
    finally:
        client.loop_stop()
        client.disconnect()


class Venue:
    """The venue broker and the bridge as real processes, configured by one TOML file."""

    def __init__(self, workdir: Path, cloud: MosquittoBroker, window: int = 200) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.metrics_port = free_port()
        self.spool = workdir / "spool.db"
        passwd = write_passwords(workdir / "venue.passwd")
        (workdir / "coordinator.pw").write_text(PASSWORDS["coordinator"])
        self.config = workdir / "venue.toml"
        self.config.write_text(f"""
[venue]
tenant = "{TENANT}"
location = "{LOCATION}"
host = "127.0.0.1"
port = {self.port}
password_file = "{passwd}"

[bridge]
tenant = "{TENANT}"
location = "{LOCATION}"
spool_path = "{self.spool}"
window = {window}
backoff_initial_s = 0.2
backoff_max_s = 2.0
metrics_port = {self.metrics_port}

[bridge.local]
host = "127.0.0.1"
port = {self.port}
username = "coordinator"
password_file = "{workdir / "coordinator.pw"}"

[bridge.cloud]
host = "{cloud.host}"
port = {cloud.port}
""")
        self.broker: subprocess.Popen[bytes] | None = None
        self.bridge: subprocess.Popen[bytes] | None = None
        self.bridge_starts = 0

    def _spawn(self, command: str, log_name: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / log_name).open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return subprocess.Popen(
            [*CLI, command, "--config", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.workdir,
        )

    def start_broker(self) -> None:
        self.broker = self._spawn("venue", "venue.log")
        _wait_port(self.port, self.broker, self.workdir / "venue.log")

    def start_bridge(self) -> None:
        self.bridge_starts += 1
        self.bridge = self._spawn("bridge", "bridge.log")
        _wait_port(self.metrics_port, self.bridge, self.workdir / "bridge.log")

    def kill_bridge(self) -> None:
        assert self.bridge is not None
        self.bridge.send_signal(signal.SIGKILL)
        self.bridge.wait(10)
        self.bridge = None

    def queued_at_start(self, within: float = 30) -> int:
        """N from the bridge's last "adwatch bridge running, N queued" line."""
        pattern = re.compile(r"adwatch bridge running, (\d+) queued")
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = pattern.findall((self.workdir / "bridge.log").read_text(errors="replace"))
            if len(found) >= self.bridge_starts:
                return int(found[-1])
            time.sleep(0.05)
        raise TimeoutError("bridge did not report its queue")

    def metric(self, name: str, labels: str = "") -> float:
        text = (
            urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5)
            .read()
            .decode()
        )
        for line in text.splitlines():
            if line.startswith(f"{name}{labels} ") or (not labels and line.startswith(name + "{")):
                return float(line.rsplit(" ", 1)[1])
        return math.nan  # not exported yet (e.g. a labelled gauge never set)

    def stop(self) -> None:
        for proc in (self.bridge, self.broker):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)


@contextmanager
def running_venue(workdir: Path, cloud: MosquittoBroker, window: int = 200) -> Iterator[Venue]:
    venue = Venue(workdir, cloud, window)
    try:
        venue.start_broker()
        venue.start_bridge()
        yield venue
    finally:
        venue.stop()


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while not port_open(port, "127.0.0.1", timeout=0.2):
        if proc.poll() is not None:
            raise RuntimeError(f"process exited:\n{log.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} not open:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)


def wait_until(predicate: object, within: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)
