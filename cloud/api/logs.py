"""Structured JSON logs (structlog), one line per event, with the request id bound.

Lines are rendered on the event loop (msgspec JSON) and handed to one writer
thread through a queue: a slow or blocked stdout must never stall request
handling, and the thread writes whatever has queued up in one call instead of one
flushed write per line. structlog goes straight to that queue (no stdlib
``LogRecord`` per access-log line, which cost ~10% of a cached request); the
stdlib loggers of the server and libraries share the same writer.
"""

from __future__ import annotations

import atexit
import logging
import queue
import sys
import threading
from typing import Any, TextIO

import msgspec
import structlog

_STOP = object()


class LineWriter:
    """A daemon thread that writes queued lines to ``out`` in batches."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lines: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def put(self, line: str) -> None:
        self._lines.put(line)

    def close(self, timeout: float = 2.0) -> None:
        """Write what is queued and stop (at exit)."""
        self._lines.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch = [self._lines.get()]
            while len(batch) < 1024:
                try:
                    batch.append(self._lines.get_nowait())
                except queue.Empty:
                    break
            stop = any(line is _STOP for line in batch)
            text = "".join(f"{line}\n" for line in batch if line is not _STOP)
            try:
                self._out.write(text)
                self._out.flush()
            except (OSError, ValueError):
                pass  # stdout gone: nothing sensible left to do with log lines
            if stop:
                return


class _QueuedLogger:
    """structlog's final logger: every level method queues the rendered line."""

    def __init__(self, writer: LineWriter) -> None:
        self._writer = writer

    def msg(self, message: str) -> None:
        self._writer.put(message)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


class _QueuedHandler(logging.Handler):
    def __init__(self, writer: LineWriter) -> None:
        super().__init__()
        self._writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._writer.put(self.format(record))
        except Exception:  # logging must never raise into the caller
            self.handleError(record)


def _json(event: Any, **_: Any) -> str:
    return msgspec.json.encode(event, enc_hook=str).decode()


_writer: LineWriter | None = None


def configure(level: str) -> None:
    global _writer
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    if _writer is None:
        _writer = LineWriter(sys.stdout)
        atexit.register(_writer.close)
        handler = _QueuedHandler(_writer)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(numeric)
    writer = _writer
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_json),
        ],
        logger_factory=lambda *_: _QueuedLogger(writer),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True,
    )
