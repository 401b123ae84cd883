"""Daily range partitions for plain PostgreSQL: names, bounds and DDL (pure functions).

Why hand-rolled and not pg_partman: it needs no extension (so no superuser and
no extra package on managed PostgreSQL), no background worker, and it is a few
dozen lines that ``adwatch-cloud db upkeep`` runs on a schedule. Every
partitioned table also has a DEFAULT partition so a late or early row (a device
flushing hours of store-and-forward, a skewed clock) is never rejected; upkeep
moves such rows into their proper daily partition once it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<day>\d{8})$")


@dataclass(frozen=True, slots=True)
class Partition:
    table: str
    day: date

    @property
    def name(self) -> str:
        return f"{self.table}_p{self.day:%Y%m%d}"

    @property
    def lower(self) -> datetime:
        return datetime.combine(self.day, time(), tzinfo=UTC)

    @property
    def upper(self) -> datetime:
        return self.lower + timedelta(days=1)


def default_name(table: str) -> str:
    return f"{table}_default"


def parse_partition(name: str) -> Partition | None:
    """The daily partition a child table name stands for, or None (e.g. the default)."""
    m = _NAME.match(name)
    if m is None:
        return None
    day = datetime.strptime(m["day"], "%Y%m%d").date()
    return Partition(m["table"], day)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def wanted_days(today: date, ahead: int, behind: int = 1) -> list[date]:
    """Days that should have a partition: ``behind`` days back to ``ahead`` days on."""
    return days_between(today - timedelta(days=behind), today + timedelta(days=ahead))


def expired(partitions: list[Partition], now: datetime, retention_days: int) -> list[Partition]:
    """Partitions entirely older than the retention cutoff (the same rule as drop_chunks)."""
    cutoff = now - timedelta(days=retention_days)
    return [p for p in partitions if p.upper <= cutoff]


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("'%Y-%m-%d %H:%M:%S+00'")


def create_sql(p: Partition) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {p.name} PARTITION OF {p.table} "
        f"FOR VALUES FROM ({_ts(p.lower)}) TO ({_ts(p.upper)})"
    )


def create_default_sql(table: str) -> str:
    return f"CREATE TABLE IF NOT EXISTS {default_name(table)} PARTITION OF {table} DEFAULT"


def bounds_predicate(p: Partition) -> str:
    return f"time >= {_ts(p.lower)} AND time < {_ts(p.upper)}"
