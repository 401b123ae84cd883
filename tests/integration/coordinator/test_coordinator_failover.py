"""Kill the leader with kill -9: a new leader is elected and advertised within 10 s,
workers reconnect by themselves, and the cloud gets every one of their messages."""

from __future__ import annotations

import pytest

from tests.integration.coordinator.netns import run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.timeout(200)]


def test_leader_failover_loses_nothing() -> None:
    r = run_scenario(
        "tests.integration.coordinator.scenario_failover", ["--runs", "1"], timeout=190
    )["runs"][0]
    assert r["new_term"] > r["old_term"]
    assert r["failover_s"] < 10.0, r  # kill -9 -> new advert seen
    assert r["new_leader_serves_advert"]
    assert r["workers_reconnected_s"] < 15.0, r
    # The registry replicated before the kill survives on the new leader.
    assert r["registry"] == ["coord-1", "coord-2", "coord-3"]
    assert r["drained"], "a worker still holds un-PUBACKed messages"
    assert r["cloud_checked"]
    assert r["sent"] > 100
    assert r["missing"] == 0, r
    assert r["cloud_distinct"] == r["sent"], r
