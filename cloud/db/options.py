"""Storage options a migration applies: retention, compression, partitions ahead.

They come from alembic ``-x key=value`` arguments, then ``ADWATCH_DB_*``
environment variables, then the defaults below; the migration records them in
``storage_settings`` so that ``upkeep`` on plain PostgreSQL applies the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from cloud.db.errors import DbError
from cloud.db.storage_path import StoragePath, parse_path


@dataclass(frozen=True, slots=True)
class StorageOptions:
    retention_days: int = 90  # rows older than this are dropped (chunks / partitions)
    compress_after_days: int = 7  # TimescaleDB compresses chunks older than this
    partition_ahead_days: int = 7  # plain PostgreSQL: daily partitions created ahead
    refresh_start_days: int = 3  # continuous aggregate policy window start
    storage: StoragePath | None = None  # None = detect

    def __post_init__(self) -> None:
        if self.retention_days < 1 or self.compress_after_days < 1:
            raise DbError("retention_days and compress_after_days must be >= 1")
        if not 1 <= self.partition_ahead_days <= 366:
            raise DbError("partition_ahead_days must be in 1..366")
        if not 1 <= self.refresh_start_days < self.retention_days:
            raise DbError("refresh_start_days must be in 1..retention_days-1")


_ENV_PREFIX = "ADWATCH_DB_"


def options_from(x_args: Mapping[str, str], env: Mapping[str, str]) -> StorageOptions:
    """Merge ``-x`` arguments over ``ADWATCH_DB_<KEY>`` environment variables."""
    values: dict[str, object] = {}
    known = {f.name for f in fields(StorageOptions)}
    unknown = set(x_args) - known - {"dsn", "schema"}
    if unknown:
        raise DbError(f"unknown -x option(s): {', '.join(sorted(unknown))}")
    for name in known:
        raw = x_args.get(name, env.get(_ENV_PREFIX + name.upper()))
        if raw is None:
            continue
        if name == "storage":
            values[name] = parse_path(raw)
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            raise DbError(f"{name} must be an integer, got {raw!r}") from None
    return StorageOptions(**values)  # type: ignore[arg-type]


def from_migration_context() -> StorageOptions:
    """The options ``cloud.db.migrate`` handed to the running Alembic migration (or defaults)."""
    from alembic import context  # only inside a migration

    opts = context.config.attributes.get("storage_options")
    return opts if isinstance(opts, StorageOptions) else StorageOptions()


def recorded_path_in_migration() -> StoragePath:
    """The storage path 0001 recorded (offline ``--sql``: ``-x storage``, else postgres)."""
    from alembic import context, op  # only inside a migration

    from cloud.db.storage_path import recorded

    if context.is_offline_mode():
        return from_migration_context().storage or StoragePath.POSTGRES
    cur = op.get_bind().connection.cursor()
    try:
        return recorded(cur)
    finally:
        cur.close()
