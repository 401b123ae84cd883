"""Rate limiting per bearer token and per client IP, shared by every replica via Redis.

The algorithm is GCRA (a token bucket kept as one timestamp per key): ``rate``
requests per second sustained, bursts of ``burst``. Both limits are checked in
one Lua script using Redis' clock, so replicas with drifting clocks agree and a
request denied by either limit consumes from neither. Denied requests get 429
with ``Retry-After``. Redis trouble lets requests through (counted), because the
API must stay readable when only its limiter's store is sick.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import msgspec
import structlog
from prometheus_client import Counter
from redis.exceptions import RedisError

from cloud.api.pipelined import ScriptHost
from cloud.api.settings import RateLimitSettings

log = structlog.get_logger(__name__)
LIMITED = Counter("api_rate_limited_total", "Requests answered 429", ["scope"])
LIMITER_ERRORS = Counter("api_rate_limiter_errors_total", "Redis errors in the rate limiter")

# KEYS: one bucket per key; ARGV: per key (interval_us, tolerance_us).
# Returns {allowed, wait_us, index of the denying key}.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local wait = new_tat - tolerance - now
  if wait > 0 then return {0, math.ceil(wait), i} end
  tats[i] = new_tat
end
for i, key in ipairs(KEYS) do
  local ttl_ms = math.ceil((tats[i] - now) / 1000) + 1
  redis.call('SET', key, string.format('%.0f', tats[i]), 'PX', ttl_ms)
end
return {1, 0, 0}
"""


class Decision(msgspec.Struct, frozen=True):
    allowed: bool
    retry_after_s: int = 0
    scope: str = ""


def token_key(prefix: str, authorization: str) -> str:
    return f"{prefix}:rl:tok:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]


def ip_key(prefix: str, ip: str) -> str:
    return f"{prefix}:rl:ip:{ip}"


def _params(rate: float, burst: int) -> tuple[int, int]:
    interval = round(1_000_000 / rate)
    return interval, interval * burst


class RateLimiter:
    def __init__(self, redis: ScriptHost, cfg: RateLimitSettings, prefix: str) -> None:
        self._cfg = cfg
        self._prefix = prefix
        self._script = redis.register_script(_GCRA)

    async def check(self, ip: str, authorization: str | None) -> Decision:
        if not self._cfg.enabled:
            return Decision(True)
        keys, args, scopes = (
            [ip_key(self._prefix, ip)],
            [*_params(self._cfg.per_ip_rate, self._cfg.per_ip_burst)],
            ["ip"],
        )
        if authorization:
            keys.append(token_key(self._prefix, authorization))
            args.extend(_params(self._cfg.per_token_rate, self._cfg.per_token_burst))
            scopes.append("token")
        try:
            result: Any = await self._script(keys=keys, args=args)
        except RedisError as exc:
            LIMITER_ERRORS.inc()
            log.warning("rate_limiter_unavailable", error=str(exc))
            return Decision(True)
        allowed, wait_us, idx = (int(v) for v in result)
        if allowed:
            return Decision(True)
        scope = scopes[idx - 1]
        LIMITED.labels(scope).inc()
        return Decision(False, max(1, math.ceil(wait_us / 1_000_000)), scope)
