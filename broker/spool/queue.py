"""SQLite implementation of the durable FIFO (see the package docstring for the contract)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Literal, Self

from broker.errors import SpoolError, SpoolFull

SCHEMA_VERSION = 1
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a seq is never reused
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    klass TEXT NOT NULL,
    enqueued_at REAL NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spool_latest ON spool (topic) WHERE klass = 'latest';
"""
_COLUMNS = "seq, topic, payload, qos, retain, klass, enqueued_at"


class MessageClass(StrEnum):
    """How the byte bound treats a message."""

    KEEP = "keep"
    """Never dropped (events, telemetry, status, OTA state, command results)."""
    LATEST = "latest"
    """When the spool is full, only the latest per topic is kept (health reports)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to put into the spool."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False
    klass: MessageClass = MessageClass.KEEP

    @property
    def size(self) -> int:
        """Bytes counted against the bound: payload plus UTF-8 topic."""
        return len(self.payload) + len(self.topic.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class SpoolItem:
    """A message read back from the spool; ``seq`` is what ``ack`` takes."""

    seq: int
    topic: str
    payload: bytes
    qos: int
    retain: bool
    klass: MessageClass
    enqueued_at: float


@dataclass(frozen=True, slots=True)
class SpoolStats:
    depth: int
    bytes: int
    oldest_age: float
    coalesced: int
    disk_bytes: int


Synchronous = Literal["FULL", "NORMAL"]


class Spool:
    """A durable, byte-bounded FIFO of MQTT messages in one SQLite file (WAL mode).

    Thread-safe: every method takes one internal lock and runs as one transaction.
    One process at a time may open a given file (an exclusive ``flock`` on
    ``<path>.lock`` is held while open; a second opener gets SpoolError).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        synchronous: Synchronous = "FULL",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_bytes <= 0:
            raise SpoolError(f"max_bytes must be positive, not {max_bytes}")
        if synchronous not in ("FULL", "NORMAL"):
            raise SpoolError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._space = threading.Condition(self._lock)
        self._coalesced = 0
        self._lockfile = _take_file_lock(self.path)
        try:
            self._db = _connect(self.path, synchronous)
            depth, size = self._db.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM spool"
            ).fetchone()
            self._depth: int = int(depth)
            self._bytes: int = int(size)
        except sqlite3.Error as exc:
            self._lockfile.close()
            raise SpoolError(f"cannot open spool {self.path}: {exc}") from exc
        self._closed = False

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._space.notify_all()
            self._db.close()
            self._lockfile.close()

    # ------------------------------------------------------------ writing

    def put(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        klass: MessageClass = MessageClass.KEEP,
    ) -> int | None:
        """Append one message; it is on disk when this returns. See ``put_many``."""
        return self.put_many([Outgoing(topic, payload, qos, retain, klass)])[0]

    def put_many(self, items: Sequence[Outgoing]) -> list[int | None]:
        """Append messages in one transaction (one fsync); all are on disk when it returns.

        Returns each message's seq, or None for a LATEST message dropped by the
        policy (counted in ``stats().coalesced``). Raises SpoolFull, writing none of
        ``items``, when a KEEP message does not fit even after coalescing.
        """
        with self._lock:
            self._check_open()
            return self._put_locked(items)

    def put_wait(self, item: Outgoing, timeout: float | None = None) -> int | None:
        """Like ``put`` but wait (up to ``timeout`` seconds) for ``ack`` to make room."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._space:
            while True:
                self._check_open()
                try:
                    return self._put_locked([item])[0]
                except SpoolFull:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise
                    self._space.wait(left)

    def _put_locked(self, items: Sequence[Outgoing]) -> list[int | None]:
        for item in items:
            _validate(item)
        seqs: list[int | None] = []
        gone_rows = gone_bytes = dropped = added = 0
        with _translate("put"), self._db:
            if self._bytes + sum(i.size for i in items) > self.max_bytes:
                gone_rows, gone_bytes = self._coalesce()
            now = self._clock()
            for item in items:
                room = self.max_bytes - (self._bytes - gone_bytes + added)
                if item.size > room and item.klass is MessageClass.LATEST:
                    freed = self._replace_latest(item, room)
                    if freed is None:
                        dropped += 1  # the older report of this topic stays
                        seqs.append(None)
                        continue
                    gone_rows, gone_bytes = gone_rows + 1, gone_bytes + freed
                elif item.size > room:
                    # Leaving the ``with`` by an exception rolls back every row: all or nothing.
                    raise SpoolFull(item.size, self.max_bytes - room, self.max_bytes)
                cur = self._db.execute(
                    "INSERT INTO spool (topic, payload, qos, retain, klass, enqueued_at, size)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.topic,
                        item.payload,
                        item.qos,
                        int(item.retain),
                        item.klass.value,
                        now,
                        item.size,
                    ),
                )
                seqs.append(cur.lastrowid)
                added += item.size
        # Committed: only now update the in-memory gauges.
        self._depth += sum(1 for s in seqs if s is not None) - gone_rows
        self._bytes += added - gone_bytes
        self._coalesced += gone_rows + dropped
        return seqs

    def _coalesce(self) -> tuple[int, int]:
        """Keep only the newest LATEST row per topic; return (rows, bytes) removed.

        Runs inside the caller's transaction.
        """
        rows = self._db.execute(
            "DELETE FROM spool WHERE klass = 'latest' AND seq NOT IN ("
            " SELECT max(seq) FROM spool WHERE klass = 'latest' GROUP BY topic)"
            " RETURNING size"
        ).fetchall()
        return len(rows), sum(r[0] for r in rows)

    def _replace_latest(self, item: Outgoing, room: int) -> int | None:
        """Delete the queued LATEST row of ``item.topic`` if that makes room; return its size."""
        row = self._db.execute(
            "SELECT seq, size FROM spool WHERE klass = 'latest' AND topic = ?"
            " ORDER BY seq DESC LIMIT 1",
            (item.topic,),
        ).fetchone()
        if row is None or item.size > room + row[1]:
            return None
        self._db.execute("DELETE FROM spool WHERE seq = ?", (row[0],))
        return int(row[1])

    # ------------------------------------------------------------ reading

    def peek(self, n: int, after: int = 0) -> list[SpoolItem]:
        """Up to ``n`` oldest messages with ``seq > after``, oldest first. Nothing is removed."""
        with self._lock:
            self._check_open()
            with _translate("peek"):
                rows = self._db.execute(
                    f"SELECT {_COLUMNS} FROM spool WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after, n),
                ).fetchall()
        return [
            SpoolItem(seq, topic, bytes(payload), qos, bool(retain), MessageClass(klass), at)
            for seq, topic, payload, qos, retain, klass, at in rows
        ]

    def ack(self, *seqs: int) -> int:
        """Remove messages for good (durably); unknown or already removed seqs are ignored.

        Returns how many rows were removed.
        """
        if not seqs:
            return 0
        with self._lock:
            self._check_open()
            removed = 0
            freed = 0
            with _translate("ack"), self._db:
                for start in range(0, len(seqs), 500):
                    chunk = seqs[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = self._db.execute(
                        f"DELETE FROM spool WHERE seq IN ({marks}) RETURNING size", chunk
                    ).fetchall()
                    removed += len(rows)
                    freed += sum(r[0] for r in rows)
            self._depth -= removed
            self._bytes -= freed
            if removed:
                self._space.notify_all()
            return removed

    # ------------------------------------------------------------ gauges

    @property
    def depth(self) -> int:
        """Messages waiting."""
        return self._depth

    @property
    def bytes(self) -> int:
        """Bytes counted against ``max_bytes`` (payloads + topics)."""
        return self._bytes

    def oldest_age(self) -> float:
        """Seconds the oldest waiting message has waited (0 when empty)."""
        with self._lock:
            self._check_open()
            row = self._db.execute("SELECT enqueued_at FROM spool ORDER BY seq LIMIT 1").fetchone()
        return 0.0 if row is None else max(0.0, self._clock() - row[0])

    def newest_seq(self) -> int:
        """The highest seq ever handed out (0 for a new file); waiting or not."""
        with self._lock:
            self._check_open()
            row = self._db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'spool'"
            ).fetchone()
        return 0 if row is None else int(row[0])

    def disk_bytes(self) -> int:
        """Bytes the spool takes on disk (database file + write-ahead log)."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(f"{self.path}{suffix}").st_size
        return total

    def stats(self) -> SpoolStats:
        return SpoolStats(
            self._depth, self._bytes, self.oldest_age(), self._coalesced, self.disk_bytes()
        )

    def compact(self) -> None:
        """Return free pages to the file system and truncate the WAL (call when nearly empty)."""
        with self._lock:
            self._check_open()
            with _translate("compact"):
                # VACUUM rewrites only live rows: cheap when called on a (nearly) empty
                # spool. (Python's sqlite3 steps "PRAGMA incremental_vacuum" once only.)
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _check_open(self) -> None:
        if self._closed:
            raise SpoolError(f"spool {self.path} is closed")


# ---------------------------------------------------------------- helpers


def _validate(item: Outgoing) -> None:
    if item.qos not in (0, 1, 2):
        raise SpoolError(f"qos must be 0, 1 or 2, not {item.qos!r}")
    if not isinstance(item.payload, bytes):
        raise SpoolError(f"payload must be bytes, not {type(item.payload).__name__}")
    if not item.topic:
        raise SpoolError("empty topic")


def _take_file_lock(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(f"{path}.lock", "ab")  # noqa: SIM115 - held open for the spool's lifetime
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.close()
        raise SpoolError(f"spool {path} is open in another process") from exc
    return handle


def _connect(path: Path, synchronous: Synchronous) -> sqlite3.Connection:
    # isolation_level=None + explicit ``with db`` transactions; check_same_thread off
    # because our own lock serialises every use.
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise SpoolError(f"spool {path}: WAL mode refused ({mode})")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version not in (0, SCHEMA_VERSION):
        raise SpoolError(f"spool {path} has schema {version}, this code knows {SCHEMA_VERSION}")
    db.executescript(_SCHEMA)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    # Python's sqlite3 opens transactions itself only with isolation_level set;
    # ``with db`` below commits/rolls back, and BEGIN is issued explicitly.
    db.isolation_level = "IMMEDIATE"
    return db


class _translate:
    """Turn sqlite3 errors into SpoolError at the boundary."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object
    ) -> None:
        if isinstance(exc, sqlite3.Error):
            raise SpoolError(f"spool {self.what} failed: {exc}") from exc
