"""Video sources through OpenCV: files (optionally looping and paced), V4L2 devices, URLs.

``VideoSource`` separates ``grab`` (cheap: demux + keep the packet) from ``retrieve``
(decode) so frames the detector will not sample are never decoded. It reconnects with
exponential backoff when a live source fails, and gives every frame a media time
``t_s`` that keeps increasing across loops and reconnects.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Literal

import numpy as np
import structlog

from edge.worker.config import SourceSection
from edge.worker.errors import CaptureError

log = structlog.get_logger(__name__)
SourceKind = Literal["file", "v4l2", "stream"]
_STREAM = re.compile(r"^(rtsp|rtsps|rtmp|http|https|udp|tcp|srt)://", re.I)
_V4L2 = re.compile(r"^/dev/video(\d+)$")


def classify(url: str) -> SourceKind:
    if _STREAM.match(url):
        return "stream"
    if _V4L2.match(url):
        return "v4l2"
    return "file"


def backoff_delay(attempt: int, initial_s: float, max_s: float) -> float:
    """Delay before retry number ``attempt`` (0-based): doubling, capped."""
    return float(min(max_s, initial_s * (2.0 ** min(attempt, 30))))


class VideoSource:
    """Not thread-safe: one thread owns it (the pipeline thread)."""

    def __init__(self, cfg: SourceSection, stop: threading.Event) -> None:
        self._cfg = cfg
        self._stop = stop
        self.kind = classify(cfg.url)
        self._cap: Any = None
        self._fps = 30.0
        self._index = 0  # frames grabbed since this open (files)
        self._offset_s = 0.0  # media time of this open's first frame
        self._last_t = -1.0
        self._mono0 = 0.0  # monotonic time of media time 0 (live and paced files)
        self.reconnects = 0
        self.duration_s = 0.0  # files: from the container's frame count

    @property
    def fps(self) -> float:
        return self._fps

    def local_t(self, t_s: float) -> float:
        """Media time within the current file pass (for a looping file's audio track)."""
        return t_s - self._offset_s

    def open(self) -> None:
        """Open (or reopen) the source, retrying with backoff; CaptureError when giving up."""
        attempt = 0
        while not self._stop.is_set():
            if self._try_open():
                return
            attempt += 1
            if self._cfg.max_attempts and attempt >= self._cfg.max_attempts:
                raise CaptureError(f"cannot open {self._cfg.url} after {attempt} attempts")
            delay = backoff_delay(
                attempt - 1, self._cfg.reconnect_initial_s, self._cfg.reconnect_max_s
            )
            log.warning("capture_open_failed", url=self._cfg.url, attempt=attempt, retry_s=delay)
            self._stop.wait(delay)
        raise CaptureError("stopped")

    def _try_open(self) -> bool:
        import cv2

        self.close()
        if self.kind == "v4l2":
            match = _V4L2.match(self._cfg.url)
            assert match is not None
            cap = cv2.VideoCapture(int(match.group(1)), cv2.CAP_V4L2)
        else:
            cap = cv2.VideoCapture(self._cfg.url, cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            return False
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._fps = fps if 1.0 <= fps <= 240.0 else 30.0
        frames = float(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
        self.duration_s = frames / self._fps if self.kind == "file" and frames > 0 else 0.0
        self._cap = cap
        self._offset_s = self._last_t + 1.0 / self._fps if self._last_t >= 0 else 0.0
        self._index = 0
        if self._mono0 == 0.0:
            self._mono0 = time.monotonic()
        log.info("capture_opened", url=self._cfg.url, kind=self.kind, fps=self._fps)
        return True

    def grab(self) -> float | None:
        """Advance one frame; its media time, or None at end of file / on failure."""
        if self._cap is None or not self._cap.grab():
            return None
        if self.kind == "file":
            t = self._offset_s + self._index / self._fps
            self._index += 1
            self._pace(t)
        else:
            t = time.monotonic() - self._mono0
        self._last_t = t
        return t

    def _pace(self, t: float) -> None:
        if self._cfg.speed <= 0:
            return
        due = self._mono0 + t / self._cfg.speed
        delay = due - time.monotonic()
        if delay > 0:
            self._stop.wait(delay)

    def retrieve(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        ok, frame = self._cap.retrieve()
        return frame if ok else None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
