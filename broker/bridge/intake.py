"""Group-commit of uplink messages: one fsync per batch, PUBACK only after the commit.

paho hands each uplink message over in its network thread; fsyncing there one by one
caps the bridge at the disk's fsync rate (~90/s on a busy SD card or VM). The intake
thread instead takes everything waiting, writes it with one ``put_many`` (one
transaction, one fsync), and only then acknowledges each message to the venue broker.
When the spool is full of undroppable messages it falls back to ``put_wait`` one by
one, so the venue broker holds the rest (push-back; nothing dropped).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import structlog

from broker.bridge.policy import retain_flag
from broker.errors import SpoolError, SpoolFull
from broker.mqtt_client import AsyncMqttClient, Received
from broker.spool import Outgoing, Spool, classify_topic

log = structlog.get_logger("adwatch.bridge")

MAX_BATCH = 500
_STOP = object()


class Intake:
    def __init__(self, spool: Spool, on_written: Callable[[int], None]) -> None:
        self._spool = spool
        self._on_written = on_written
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="bridge-intake", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def submit(self, client: AsyncMqttClient, message: Received) -> None:
        """Called in paho's thread: queue for the next group commit."""
        self._queue.put((client, message))

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = _STOP in batch
            work = [b for b in batch if b is not _STOP]
            if work:
                self._commit(work)  # type: ignore[arg-type]
            if stop:
                return

    def _commit(self, work: list[tuple[AsyncMqttClient, Received]]) -> None:
        items = [
            Outgoing(
                m.topic,
                m.payload,
                m.qos or 1,
                retain_flag(m.topic, m.retain),
                classify_topic(m.topic),
            )
            for _, m in work
        ]
        try:
            try:
                self._spool.put_many(items)
            except SpoolFull:
                for item in items:  # wait for room, one at a time, in order
                    self._spool.put_wait(item)
        except SpoolError as exc:  # closed or broken: not acked, the broker redelivers
            log.error("bridge_intake_failed", error=str(exc), messages=len(work))
            return
        for client, message in work:
            client.ack(message)
        self._on_written(len(work))
