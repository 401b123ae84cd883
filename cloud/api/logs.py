"""Structured JSON logs (structlog), one line per event, with the request id bound.

Lines are rendered on the event loop but written by a background thread (a stdlib
``QueueHandler``/``QueueListener`` pair): a slow or blocked stdout must never stall
request handling, and one flushed write per access-log line is a syscall the
loop should not pay.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys

import structlog

_listener: logging.handlers.QueueListener | None = None


def configure(level: str) -> None:
    global _listener
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    if _listener is None:
        lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        out = logging.StreamHandler(sys.stdout)
        out.setFormatter(logging.Formatter("%(message)s"))
        _listener = logging.handlers.QueueListener(lines, out)
        _listener.start()
        atexit.register(_listener.stop)
        root = logging.getLogger()
        root.handlers[:] = [logging.handlers.QueueHandler(lines)]
    logging.getLogger().setLevel(numeric)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
