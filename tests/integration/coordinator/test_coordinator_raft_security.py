"""A node without the Raft password (or with a wrong one) cannot join or disrupt."""

from __future__ import annotations

import pytest

from tests.integration.coordinator.netns import run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]


def test_strangers_cannot_join_or_disrupt_the_cluster() -> None:
    r = run_scenario("tests.integration.coordinator.scenario_raft_security", [], timeout=140)
    before = r["before"]
    assert before["leader"] is not None
    # The operator (admin CLI, with the password) can change the registry; it
    # replicates to every member. The three coordinators registered themselves.
    assert r["admin_exit_codes"] == [0, 0, 0], r["admin_stderr"]
    assert r["admin_unknown_device"] == [1, "unknown device ghost"]
    assert r["admin_show_has_w9"]
    assert r["operator_edit_replicated_to"] == 3
    assert before["registry"] == [
        ["coord-1", "coordinator", None],
        ["coord-2", "coordinator", None],
        ["coord-3", "coordinator", None],
        ["w9", "worker", "tv-bar-left"],
    ]
    # Wrong password, sitting on a member's Raft address: never joins, never leads.
    assert r["rogue_started"]
    assert not r["rogue_saw_leader"] and not r["rogue_served"]
    # No password at all (plain pysyncobj) on the same address, campaigning and writing.
    assert not r["stranger_saw_leader"]
    assert r["stranger_writes_committed"] == 0
    # A forged pickle sent to the leader's Raft port is dropped before it is unpickled,
    # while the very same bytes run code on a node without a password (the control).
    assert r["forged_pickle_runs_without_password"]
    assert not r["forged_pickle_ran_on_cluster"]
    assert r["leader_alive_after_forgery"]
    # Through all of it: same leader, same term, same registry (no "rogue" in it).
    for phase in ("after_wrong_password", "after_no_password", "after_forgery"):
        assert r[phase] == before, phase
