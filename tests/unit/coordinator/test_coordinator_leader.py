"""The watchdog's decision: leadership → start/stop/restart the leader services."""

from __future__ import annotations

from typing import Literal

import pytest

from edge.coordinator.leader import next_action
from edge.coordinator.raft import RaftView


def view(role: Literal["leader", "follower"], term: int) -> RaftView:
    return RaftView(
        node="a:1",
        role=role,
        term=term,
        leader=None,
        commit_index=0,
        ready=True,
    )


@pytest.mark.parametrize(
    ("serving", "role", "term", "action"),
    [
        (None, "leader", 3, "start"),
        (3, "leader", 3, "keep"),
        (3, "leader", 5, "restart"),
        (3, "follower", 3, "stop"),
        (3, "follower", 4, "stop"),
        (None, "follower", 4, "keep"),
    ],
)
def test_next_action(
    serving: int | None, role: Literal["leader", "follower"], term: int, action: str
) -> None:
    assert next_action(serving, view(role, term)) == action
