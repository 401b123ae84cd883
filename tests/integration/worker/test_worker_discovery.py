"""The worker finds the venue broker by mDNS and follows a failover (real zeroconf)."""

from __future__ import annotations

import pytest

from tests.integration.coordinator.netns import run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_worker_discovers_broker_and_follows_failover() -> None:
    r = run_scenario("tests.integration.worker.scenario_worker_discovery", [], timeout=110)
    assert r["exit"] == 0
    assert r["events_at_a"] >= 1
    assert r["events_at_b"] >= 1 and r["b_online_seen"]
    assert r["outbox_left"] == 0
