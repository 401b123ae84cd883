"""The break policy: a pure state machine from break events to TV actions."""

from edge.policy.machine import (
    ActionFailed,
    BreakBegan,
    BreakFinished,
    PolicyConfig,
    PolicyEvent,
    PolicyState,
    Tick,
    initial_state,
    next_state,
)

__all__ = [
    "ActionFailed",
    "BreakBegan",
    "BreakFinished",
    "PolicyConfig",
    "PolicyEvent",
    "PolicyState",
    "Tick",
    "initial_state",
    "next_state",
]
