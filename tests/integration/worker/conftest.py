"""Worker test fixtures: a tiny synthetic clip, a transparent stand-in detector, MQTT capture."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.detect.engine import BreakEnded, BreakEvent, BreakStarted, DetectSettings
from schemas.codec import decode
from schemas.messages import Message

W, H, FPS = 160, 90, 30
# A 150 s sports clip whose plan holds one break (63.8 s - 99.5 s): seed and profile are
# picked so that the break starts after the engine's logo warm-up.
CLIP = {"profile": "sports", "seed": 1, "minutes": 2.5}


@pytest.fixture(scope="session")
def broadcast_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A generated broadcast clip (``adwatch-edge corpus generate``) and its truth."""
    from edge.detect.corpus.generate import EncodeSettings, generate, read_truth

    out = tmp_path_factory.mktemp("broadcast-clip")
    enc = EncodeSettings(width=320, height=180, fps=30, preset="veryfast")
    minutes = float(CLIP["minutes"])
    [video] = generate(
        out,
        minutes,
        int(CLIP["seed"]),
        [CLIP["profile"]],  # type: ignore[list-item]
        minutes,
        enc,
        progress=False,
    )
    truth = read_truth(video.with_suffix(".json"))
    assert truth.breaks, "the chosen clip must contain a break"
    return video, truth


def write_colour_clip(path: Path, seconds: float, ads: list[tuple[float, float]]) -> Path:
    """Grey programme with a moving bar; solid red frames during ``ads`` (start, end)."""
    import cv2

    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    assert out.isOpened()
    for i in range(int(seconds * FPS)):
        t = i / FPS
        if any(a <= t < b for a, b in ads):
            frame = np.zeros((H, W, 3), np.uint8)
            frame[:, :, 2] = 220
        else:
            frame = np.full((H, W, 3), 90, np.uint8)
            x = (i * 3) % W
            frame[:, x : x + 8] = 200
        out.write(frame)
    out.release()
    return path


class ColourDetector:
    """A transparent stand-in for the detection engine (same streaming interface).

    It samples at ``sample_fps`` and calls a frame "ad" when its red channel dominates;
    a break starts/ends on the first sample that flips. It lets worker tests check the
    plumbing (capture, policy, MQTT, outbox) independently of the real model, whose own
    accuracy is tested by the detection suite and by the end-to-end test.
    """

    model_version = "colour-test-1"

    def __init__(self, settings: DetectSettings) -> None:
        self.settings = settings
        self._next = 0.0
        self._open: tuple[str, float] | None = None
        self.last_inference_ms = 0.0

    def wants_frame(self, t_s: float) -> bool:
        return t_s + 1e-6 >= self._next

    def update_settings(self, settings: DetectSettings) -> None:
        self.settings = settings

    def process(
        self, frame: np.ndarray | None, t_s: float, audio: object = None
    ) -> list[BreakEvent]:
        if not self.wants_frame(t_s):
            return []
        assert frame is not None
        self._next = t_s + 1.0 / self.settings.sample_fps
        started = time.perf_counter()
        b, _g, r = (float(frame[:, :, c].mean()) for c in range(3))
        self.last_inference_ms = (time.perf_counter() - started) * 1000
        is_ad = r > 150 and b < 60
        if is_ad and self._open is None:
            self._open = (uuid.uuid4().hex, t_s)
            return [BreakStarted(self._open[0], t_s, t_s, 0.9)]
        if not is_ad and self._open is not None:
            bid, start = self._open
            self._open = None
            return [BreakEnded(bid, start, t_s, t_s, 0.9)]
        return []

    def flush(self, t_s: float) -> list[BreakEvent]:
        if self._open is None:
            return []
        bid, start = self._open
        self._open = None
        return [BreakEnded(bid, start, t_s, t_s, 0.9)]


@dataclass
class Received:
    topic: str
    msg: Message
    at: float


@dataclass
class MqttRecorder:
    """Subscribes to a filter with paho and decodes everything that arrives."""

    host: str
    port: int
    filters: list[str]
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: Any = None

    def start(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"rec-{uuid.uuid4().hex[:8]}",
            clean_session=False,
        )

        def on_connect(cl: Any, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
            for f in self.filters:
                cl.subscribe(f, qos=1)

        def on_message(_c: Any, _u: Any, m: Any) -> None:
            with self.lock:
                self.messages.append(Received(m.topic, decode(bytes(m.payload)), time.monotonic()))

        c.on_connect, c.on_message = on_connect, on_message
        c.reconnect_delay_set(0.2, 1)
        c.connect_async(self.host, self.port, keepalive=10)
        c.loop_start()
        self.client = c

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def stop(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()

    def of(self, cls: type[Any]) -> list[Any]:
        with self.lock:
            return [r.msg for r in self.messages if isinstance(r.msg, cls)]

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def wait_for(self, pred: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)


@pytest.fixture
def recorder_factory() -> Iterator[Callable[[str, int, list[str]], MqttRecorder]]:
    made: list[MqttRecorder] = []

    def make(host: str, port: int, filters: list[str]) -> MqttRecorder:
        rec = MqttRecorder(host, port, filters)
        rec.start()
        made.append(rec)
        return rec

    yield make
    for rec in made:
        rec.stop()
