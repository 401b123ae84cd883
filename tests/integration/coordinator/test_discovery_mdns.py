"""mDNS advert and browser across processes on loopback."""

from __future__ import annotations

import pytest

from tests.integration.coordinator.netns import run_scenario

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def test_browser_follows_the_highest_term_across_processes() -> None:
    r = run_scenario("tests.integration.coordinator.scenario_discovery", [], timeout=80)
    assert r["first"] == {"term": 4, "port": 40004}
    # A newer leadership appears: the browser switches without being recreated.
    assert r["changed_to"] == {"term": 7, "port": 40007}
    # An advert of another venue is never chosen.
    assert r["other_venue_seen"] is False
    # When the newer advert says goodbye, the browser falls back to what is left.
    assert r["after_goodbye"] == {"term": 4, "port": 40004}
