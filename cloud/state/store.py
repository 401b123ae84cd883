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

# The online bookkeeping of a batch of devices, atomic in Redis. KEYS: fleet online set,
# offline markers, then each device's tenant online set. ARGV: TTL, then five values per
# device: tenant member, fleet member, marker member, seen ("" = none), offline_at ("" =
# none). Online iff seen after the latest offline status (``cloud.state.keys.is_online``):
# batches of different topics are processed in any order.
_ONLINE_SCRIPT = """
local fleet, marks, ttl = KEYS[1], KEYS[2], ARGV[1]
for i = 0, #KEYS - 3 do
  local tkey = KEYS[3 + i]
  local tm, fm, mm = ARGV[2 + 5 * i], ARGV[3 + 5 * i], ARGV[4 + 5 * i]
  local seen, gone = ARGV[5 + 5 * i], ARGV[6 + 5 * i]
  local off = redis.call('ZSCORE', marks, mm)
  if gone ~= '' then
    if (not off) or tonumber(off) < tonumber(gone) then
      redis.call('ZADD', marks, gone, mm)
      off = gone
    end
    redis.call('EXPIRE', marks, ttl)
  end
  if seen ~= '' and ((not off) or tonumber(seen) > tonumber(off)) then
    redis.call('ZADD', tkey, 'GT', seen, tm)
    redis.call('EXPIRE', tkey, ttl)
    redis.call('ZADD', fleet, 'GT', seen, fm)
  end
  if off then
    local score = redis.call('ZSCORE', fleet, fm)
    if score and tonumber(score) <= tonumber(off) then
      redis.call('ZREM', tkey, tm)
      redis.call('ZREM', fleet, fm)
    end
  end
end
redis.call('EXPIRE', fleet, ttl)
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
        """Write one batch's update in one round trip: one script call, then the health keys."""
        if not update:
            return
        prefix = self._settings.prefix
        online_ttl = str(max(1, math.ceil(self._settings.online_ttl_s)))
        health_ttl = max(1, math.ceil(self._settings.health_ttl_s))
        pipe = self._redis.pipeline(transaction=False)
        devices = update.devices()
        if devices:
            keys = [online_key(prefix), offline_key(prefix)]
            args = [online_ttl]
            for ref in devices:
                seen, off = update.seen.get(ref), update.offline.get(ref)
                keys.append(online_key(prefix, ref.tenant))
                args += [
                    tenant_member(ref.location, ref.device),
                    fleet_member(ref.tenant, ref.location, ref.device),
                    f"{ref.tenant}/{ref.device}",
                    "" if seen is None else repr(seen),
                    "" if off is None else repr(off),
                ]
            await self._script(keys=keys, args=args, client=pipe)
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
