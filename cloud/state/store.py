"""Read and write the hot state (``redis.asyncio``); key layout in the package docstring."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

import msgspec

from cloud.state.errors import StateError
from cloud.state.keys import (
    StateSettings,
    StateUpdate,
    fleet_member,
    health_key,
    offline_key,
    online_cutoff,
    online_key,
    tenant_member,
)
from cloud.state.model import LatestHealth, OnlineDevice
from schemas.messages import HealthReport

_health_decoder = msgspec.json.Decoder(LatestHealth)

# One device's online bookkeeping, atomic in Redis. KEYS: tenant online set, fleet online
# set, offline markers. ARGV: tenant member, fleet member, marker member, seen ("" = none),
# offline_at ("" = none), TTL. Online iff seen after the latest offline status (see
# ``cloud.state.keys.is_online``): batches of different topics arrive in any order.
_ONLINE_SCRIPT = """
local off = redis.call('ZSCORE', KEYS[3], ARGV[3])
if ARGV[5] ~= '' then
  if (not off) or tonumber(off) < tonumber(ARGV[5]) then
    redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
    off = ARGV[5]
  end
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end
if ARGV[4] ~= '' and ((not off) or tonumber(ARGV[4]) > tonumber(off)) then
  redis.call('ZADD', KEYS[1], 'GT', ARGV[4], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  redis.call('ZADD', KEYS[2], 'GT', ARGV[4], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[6])
end
if off then
  local score = redis.call('ZSCORE', KEYS[2], ARGV[2])
  if score and tonumber(score) <= tonumber(off) then
    redis.call('ZREM', KEYS[1], ARGV[1])
    redis.call('ZREM', KEYS[2], ARGV[2])
  end
end
return 1
"""


def _health_values(prefix: str, update: StateUpdate) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    for ref, record in update.health.items():
        assert isinstance(record.payload, HealthReport)
        entry = LatestHealth(
            tenant=ref.tenant,
            location=ref.location,
            device=ref.device,
            received_at=record.received_at,
            report=record.payload,
        )
        values[health_key(prefix, ref.tenant, ref.device)] = msgspec.json.encode(entry)
    return values


def _online_device(tenant: str | None, member: bytes | str, score: float) -> OnlineDevice:
    text = member.decode() if isinstance(member, bytes) else member
    if tenant is None:
        tenant, _, text = text.partition("/")
    location, _, device = text.partition("/")
    return OnlineDevice(
        tenant=tenant,
        location=location,
        device=device,
        last_seen=datetime.fromtimestamp(score, tz=UTC),
    )


class HotState:
    """Hot device state over one ``redis.asyncio.Redis`` client (owned by the caller)."""

    def __init__(self, redis: Any, settings: StateSettings) -> None:
        self._redis = redis
        self._settings = settings
        self._script = redis.register_script(_ONLINE_SCRIPT)

    @property
    def settings(self) -> StateSettings:
        return self._settings

    async def apply(self, update: StateUpdate) -> None:
        """Write one batch's update in one pipelined round trip (one script call per device)."""
        if not update:
            return
        prefix = self._settings.prefix
        online_ttl = str(max(1, math.ceil(self._settings.online_ttl_s)))
        health_ttl = max(1, math.ceil(self._settings.health_ttl_s))
        pipe = self._redis.pipeline(transaction=False)
        for ref in update.devices():
            seen, off = update.seen.get(ref), update.offline.get(ref)
            await self._script(
                keys=[online_key(prefix, ref.tenant), online_key(prefix), offline_key(prefix)],
                args=[
                    tenant_member(ref.location, ref.device),
                    fleet_member(ref.tenant, ref.location, ref.device),
                    f"{ref.tenant}/{ref.device}",
                    "" if seen is None else repr(seen),
                    "" if off is None else repr(off),
                    online_ttl,
                ],
                client=pipe,
            )
        for key, value in _health_values(prefix, update).items():
            pipe.set(key, value, ex=health_ttl)
        try:
            await pipe.execute()
        except Exception as exc:  # redis raises RedisError and OSError subclasses
            raise StateError(f"redis write failed: {exc}") from exc

    async def online(
        self, tenant: str | None = None, now: float | None = None
    ) -> list[OnlineDevice]:
        """Devices seen within ``online_ttl_s`` (fleet-wide or one tenant), trimming stale ones."""
        now = time.time() if now is None else now
        key = online_key(self._settings.prefix, tenant)
        cutoff = online_cutoff(now, self._settings)
        try:
            await self._redis.zremrangebyscore(key, "-inf", f"({cutoff}")
            rows = await self._redis.zrangebyscore(key, cutoff, "+inf", withscores=True)
        except Exception as exc:
            raise StateError(f"redis read failed: {exc}") from exc
        return [_online_device(tenant, member, float(score)) for member, score in rows]

    async def latest_health(self, tenant: str, device: str) -> LatestHealth | None:
        try:
            raw = await self._redis.get(health_key(self._settings.prefix, tenant, device))
        except Exception as exc:
            raise StateError(f"redis read failed: {exc}") from exc
        if raw is None:
            return None
        try:
            return _health_decoder.decode(raw)
        except msgspec.DecodeError as exc:
            raise StateError(f"bad health entry for {tenant}/{device}: {exc}") from exc
