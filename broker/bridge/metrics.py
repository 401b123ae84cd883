"""Prometheus metrics of the bridge (process-wide; one bridge per process)."""

from __future__ import annotations

import time
from collections import deque

from prometheus_client import Counter, Gauge

from broker.spool import Spool, SpoolError

QUEUE_DEPTH = Gauge("adwatch_bridge_queue_depth", "Messages waiting in the store-and-forward queue")
QUEUE_BYTES = Gauge("adwatch_bridge_queue_bytes", "Bytes (payload + topic) waiting in the queue")
QUEUE_DISK = Gauge("adwatch_bridge_queue_disk_bytes", "Bytes of the queue's files on disk")
QUEUE_AGE = Gauge("adwatch_bridge_queue_oldest_age_seconds", "Age of the oldest waiting message")
COALESCED = Gauge(
    "adwatch_bridge_queue_coalesced", "Health reports coalesced or dropped (since start)"
)
DRAIN_RATE = Gauge(
    "adwatch_bridge_drained_per_second",
    "Messages acknowledged by the cloud per second (10 s window)",
)
DRAINED = Counter("adwatch_bridge_drained", "Messages acknowledged by the cloud broker")
RECEIVED = Counter("adwatch_bridge_received", "Uplink messages written to the queue")
DOWNLINK = Counter("adwatch_bridge_downlink", "Downlink messages republished on the venue broker")
RECONNECTS = Counter("adwatch_bridge_reconnects", "Connection attempts after a loss", ["side"])
CONNECTED = Gauge("adwatch_bridge_connected", "1 while connected", ["side"])


class RateMeter:
    """Events per second over a sliding window (for the drained/s gauge)."""

    def __init__(self, window_s: float = 10.0) -> None:
        self.window_s = window_s
        self._marks: deque[tuple[float, int]] = deque()

    def add(self, count: int, now: float | None = None) -> None:
        self._marks.append((time.monotonic() if now is None else now, count))

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        while self._marks and self._marks[0][0] < now - self.window_s:
            self._marks.popleft()
        return sum(c for _, c in self._marks) / self.window_s


def bind_spool(spool: Spool, meter: RateMeter) -> None:
    """Make the queue gauges read the spool at scrape time."""
    QUEUE_DEPTH.set_function(lambda: spool.depth)
    QUEUE_BYTES.set_function(lambda: spool.bytes)
    QUEUE_DISK.set_function(spool.disk_bytes)
    QUEUE_AGE.set_function(lambda: _safe_age(spool))
    COALESCED.set_function(lambda: spool.stats().coalesced if not _closed(spool) else 0)
    DRAIN_RATE.set_function(meter.rate)


def _closed(spool: Spool) -> bool:
    try:
        spool.newest_seq()
    except SpoolError:  # closed spool: report zero rather than break the scrape
        return True
    return False


def _safe_age(spool: Spool) -> float:
    return 0.0 if _closed(spool) else spool.oldest_age()
