"""Try the configured controllers in order until one acts; say who acted and why others failed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import structlog

from edge.tv.base import TvAction, TvController
from edge.tv.errors import TvConfigError, TvError, TvUnsupported
from edge.tv.registry import build_controller

log = structlog.get_logger(__name__)


class TvSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``[tv]``: the controllers, preferred first, and the per-call timeout."""

    controllers: list[dict[str, Any]] = msgspec.field(default_factory=list)
    timeout_s: float = 5.0
    check_at_start: bool = False  # probe each controller at start-up (fail fast)


@dataclass(frozen=True, slots=True)
class Attempt:
    controller: str
    ok: bool
    error: str = ""


@dataclass(frozen=True, slots=True)
class ChainResult:
    action: TvAction
    acted_by: str | None
    attempts: tuple[Attempt, ...]

    @property
    def ok(self) -> bool:
        return self.acted_by is not None

    def describe(self) -> str:
        if self.ok:
            return f"{self.action}: done by {self.acted_by}"
        failures = "; ".join(f"{a.controller}: {a.error}" for a in self.attempts)
        return f"{self.action}: every controller failed ({failures or 'none configured'})"


async def _bounded(coro: Any, timeout_s: float, what: str) -> Any:
    try:
        return await asyncio.wait_for(coro, timeout_s)
    except TimeoutError as exc:
        raise TvError(f"{what} timed out after {timeout_s:g}s") from exc


class ControllerChain:
    def __init__(self, controllers: Sequence[TvController], timeout_s: float = 5.0) -> None:
        self.controllers = list(controllers)
        self.timeout_s = timeout_s

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.controllers]

    async def perform(self, action: TvAction) -> ChainResult:
        attempts: list[Attempt] = []
        for ctl in self.controllers:
            try:
                await _bounded(ctl.perform(action), self.timeout_s, f"{ctl.name} {action}")
            except TvUnsupported as exc:
                attempts.append(Attempt(ctl.name, False, f"unsupported: {exc}"))
                continue
            except TvError as exc:
                log.warning(
                    "tv_controller_failed", controller=ctl.name, action=str(action), error=str(exc)
                )
                attempts.append(Attempt(ctl.name, False, str(exc)))
                continue
            attempts.append(Attempt(ctl.name, True))
            log.info("tv_action", controller=ctl.name, action=str(action))
            return ChainResult(action, ctl.name, tuple(attempts))
        result = ChainResult(action, None, tuple(attempts))
        log.error("tv_action_failed", action=str(action), detail=result.describe())
        return result

    async def mute_state(self) -> bool | None:
        """The first definite answer from a controller that can tell; None if none can."""
        for ctl in self.controllers:
            try:
                state = await _bounded(ctl.mute_state(), self.timeout_s, f"{ctl.name} mute?")
            except TvError as exc:
                log.warning("tv_mute_state_failed", controller=ctl.name, error=str(exc))
                continue
            if state is not None:
                return bool(state)
        return None

    async def check(self) -> list[Attempt]:
        results: list[Attempt] = []
        for ctl in self.controllers:
            try:
                await _bounded(ctl.check(), self.timeout_s, f"{ctl.name} check")
                results.append(Attempt(ctl.name, True))
            except TvError as exc:
                results.append(Attempt(ctl.name, False, str(exc)))
        return results

    async def aclose(self) -> None:
        for ctl in self.controllers:
            await ctl.aclose()


def build_chain(settings: TvSettings) -> ControllerChain:
    """Build every configured controller (start-up errors are TvConfigError)."""
    controllers = [
        build_controller(raw, f"tv.controllers[{i}]") for i, raw in enumerate(settings.controllers)
    ]
    names = [c.name for c in controllers]
    if len(set(names)) != len(names):
        raise TvConfigError(f"tv.controllers: names must be unique, got {names}")
    return ControllerChain(controllers, settings.timeout_s)
