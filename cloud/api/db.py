"""PostgreSQL access for the services: an async psycopg pool and two small helpers.

Connections run in autocommit with a statement timeout, so a slow query fails
alone instead of holding a pool slot forever. Driver trouble that means "the
database is not there" becomes :class:`Unavailable` (HTTP 503); anything else is
a bug and surfaces as a 500 with a logged traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, LiteralString

import psycopg
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from cloud.api.errors import Unavailable

if TYPE_CHECKING:
    RedisClient = aioredis.Redis[bytes]
else:  # redis-py's class is not subscriptable at run time (Litestar evaluates annotations)
    RedisClient = aioredis.Redis

Row = tuple[Any, ...]
Params = dict[str, Any]


def make_pool(
    dsn: str, *, min_size: int, max_size: int, statement_timeout_ms: int
) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        open=False,
        timeout=5.0,
        kwargs={
            "autocommit": True,
            "options": f"-c statement_timeout={int(statement_timeout_ms)} -c timezone=UTC",
            "application_name": "adwatch-api",
        },
    )


class Database:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def rows(self, sql: LiteralString, params: Params) -> list[Row]:
        try:
            async with self._pool.connection() as conn, conn.cursor() as cur:
                await cur.execute(sql, params)
                return await cur.fetchall()
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise Unavailable(f"database unavailable: {exc}") from exc

    async def row(self, sql: LiteralString, params: Params) -> Row | None:
        found = await self.rows(sql, params)
        return found[0] if found else None

    async def ping(self) -> None:
        await self.rows("SELECT 1", {})
