"""Reads of the stream helper's Redis hot state (``cloud.state``), as the API needs them."""

from __future__ import annotations

import time
from collections import Counter as Tally

from cloud.api.db import RedisClient
from cloud.api.errors import Unavailable
from cloud.state.errors import StateError
from cloud.state.keys import StateSettings, online_cutoff, online_key, tenant_member
from cloud.state.model import LatestHealth
from cloud.state.store import HotState


class HotReads:
    def __init__(self, redis: RedisClient, settings: StateSettings) -> None:
        self._redis = redis
        self._settings = settings
        self._state = HotState(redis, settings)

    async def latest_health(self, tenant: str, device: str) -> LatestHealth | None:
        try:
            return await self._state.latest_health(tenant, device)
        except StateError as exc:
            raise Unavailable(str(exc)) from exc

    async def is_online(self, tenant: str, location: str, device: str) -> bool:
        key = online_key(self._settings.prefix, tenant)
        try:
            score = await self._redis.zscore(key, tenant_member(location, device))
        except Exception as exc:  # redis raises RedisError and OSError subclasses
            raise Unavailable(f"redis read failed: {exc}") from exc
        return score is not None and float(score) >= online_cutoff(time.time(), self._settings)

    async def online_in_location(self, tenant: str, location: str) -> int:
        try:
            online = await self._state.online(tenant)
        except StateError as exc:
            raise Unavailable(str(exc)) from exc
        return sum(1 for d in online if d.location == location)

    async def online_per_location(self) -> dict[tuple[str, str], int]:
        """Fleet-wide (tenant, location) → devices online, for ``/metrics``."""
        try:
            online = await self._state.online(None)
        except StateError as exc:
            raise Unavailable(str(exc)) from exc
        return dict(Tally((d.tenant, d.location) for d in online))
