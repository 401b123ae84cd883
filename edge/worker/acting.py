"""Acting on the TV during breaks: the pure policy, executed through the controller chain."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from edge.policy import (
    ActionFailed,
    BreakBegan,
    BreakFinished,
    PolicyConfig,
    PolicyEvent,
    Tick,
    initial_state,
    next_state,
)
from edge.tv.base import TvAction
from edge.tv.chain import ChainResult, ControllerChain
from schemas.messages import Action

log = structlog.get_logger(__name__)
_REPORTED: dict[str, Action] = {
    "mute": "mute",
    "switch_input": "switch_input",
    "switch_channel": "switch_channel",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What was done to the TV for one break, as reported in the break events."""

    action: Action = "none"
    controller: str = ""
    detail: str = ""


class BreakActor:
    """Feeds break events to the policy and performs its actions (one TV).

    ``outcome(break_id)`` is what the break's events report: ``none`` while the policy
    waits for ``min_break_s`` or chose nothing, the policy action with the controller
    that acted, or ``failed`` with every controller's error when none could act.
    """

    def __init__(self, chain: ControllerChain | None, policy: PolicyConfig) -> None:
        self._chain = chain
        self._policy = policy
        self._state = initial_state(policy)
        self._outcomes: dict[str, Outcome] = {}

    @property
    def policy(self) -> PolicyConfig:
        return self._policy

    def set_policy(self, policy: PolicyConfig) -> None:
        """Takes effect for the next action; an open break still restores what it changed."""
        self._policy = policy

    def outcome(self, break_id: str) -> Outcome:
        return self._outcomes.get(break_id, Outcome())

    async def started(self, break_id: str, start_s: float, now_s: float) -> Outcome:
        muted: bool | None = None
        if self._chain is not None and self._policy.action == "mute":
            muted = await self._chain.mute_state()
        await self._feed(BreakBegan(break_id, start_s, now_s, muted), break_id)
        return self.outcome(break_id)

    async def tick(self, now_s: float) -> None:
        if self._state.phase == "pending" and self._state.break_id is not None:
            await self._feed(Tick(now_s), self._state.break_id)

    async def ended(self, break_id: str, now_s: float) -> Outcome:
        await self._feed(BreakFinished(break_id, now_s), break_id)
        return self._outcomes.pop(break_id, Outcome())

    async def _feed(self, event: PolicyEvent, break_id: str) -> None:
        self._state, actions = next_state(self._state, event, self._policy)
        restoring = isinstance(event, BreakFinished)
        for action in actions:
            result = await self._perform(action)
            if not result.ok:
                self._state, _ = next_state(self._state, ActionFailed(action), self._policy)
            if not restoring:
                self._outcomes[break_id] = self._record(result)

    async def _perform(self, action: TvAction) -> ChainResult:
        if self._chain is None or not self._chain.controllers:
            return ChainResult(action, None, ())
        return await self._chain.perform(action)

    def _record(self, result: ChainResult) -> Outcome:
        if result.ok:
            reported = _REPORTED.get(self._policy.action, "none")
            return Outcome(reported, result.acted_by or "")
        return Outcome("failed", "", result.describe())
