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
    # The registry replicated before the kill survives on the new leader: the three
    # coordinators registered themselves, the old leader's feeder saw the workers.
    assert r["registry"] == [
        "coord-1:coordinator",
        "coord-2:coordinator",
        "coord-3:coordinator",
        "w1:worker",
        "w2:worker",
    ]
    assert r["drained"], "a worker still holds un-PUBACKed messages"
    assert r["cloud_checked"]
    assert r["sent"] > 100
    assert r["missing"] == 0, r
    assert r["cloud_distinct"] == r["sent"], r


def test_leader_killed_during_cloud_outage_drains_its_spool_after_restart() -> None:
    """The cloud is down, so the leader's bridge holds messages on disk when it is
    killed. The workers' replay window (1 s) is shorter than the outage before the
    kill (4 s): older messages reach the cloud only if the killed node, restarted
    as a follower, drains what its spool kept."""
    r = run_scenario(
        "tests.integration.coordinator.scenario_failover",
        ["--outage", "--before-s", "4", "--replay-s", "1"],
        timeout=190,
    )["runs"][0]
    assert r["failover_s"] < 10.0, r
    assert r["restarted_node_drained"] > 40, r  # ~3 s x 2 workers x 20 msg/s on its disk
    assert r["drained"]
    assert r["missing"] == 0, r
    assert r["cloud_distinct"] == r["sent"], r
