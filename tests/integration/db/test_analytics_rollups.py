"""The API's ad-break analytics (second-level rollups) equal aggregates of the raw events.

On both storage paths: ~3.5 days of ended breaks for two tenants, upkeep refreshes
every rollup, then each analytics query (per hour, location, channel; with and
without a location filter; windows with ragged hours, whole days only, less than a
day) is compared with the same numbers computed straight from ``ad_events``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloud.db.queries import AdGroup, ad_breaks_query
from cloud.db.upkeep import UpkeepOptions, run_upkeep
from tests.integration.db.conftest import Target

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
START = END - timedelta(hours=84)
H = timedelta(hours=1)

# One ended break every 20 minutes per tenant, location and channel; every 7th has no
# duration (a break the worker could not time), which the sums must skip.
SEED = """
INSERT INTO ad_events (message_id, time, tenant_id, location_id, device_id, event, break_id,
    source, started_at, ended_at, duration_s, confidence, action, controller, model_version)
SELECT gen_random_uuid(), t, tn, tn || '-loc-' || l, tn || '-dev-' || l, 'ended',
    gen_random_uuid(), 'ch-' || c, t - interval '3 minutes', t,
    CASE WHEN (extract(epoch FROM t)::bigint / 1200 + l + c) %% 7 = 0 THEN NULL
         ELSE 30 + ((extract(epoch FROM t)::bigint / 1200) * (l + 3) * (c + 5)) %% 240 END,
    0.9, 'mute', 'ir', 'm1'
FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 minute',
                     interval '20 minutes') AS t,
     unnest(ARRAY['acme', 'zeta']) AS tn, generate_series(0, 2) AS l, generate_series(0, 1) AS c
"""
SEED_TENANTS = "INSERT INTO tenants (id, name) VALUES ('acme', 'Acme'), ('zeta', 'Zeta')"

_KEYS = {"hour": "time_bucket(INTERVAL '1 hour', time)", "location": "location_id",
         "channel": "source"}  # fmt: skip
REFERENCE = """
SELECT {key} AS k, count(*) AS breaks, coalesce(sum(duration_s), 0) / 60.0,
       sum(duration_s) / count(*)
FROM ad_events
WHERE event = 'ended' AND tenant_id = %(tenant)s AND time >= %(start)s AND time < %(end)s
  AND (%(location)s::text IS NULL OR location_id = %(location)s::text)
GROUP BY k ORDER BY k"""

WINDOWS = {
    "ragged, several days": (START + 5 * H, END - 3 * H),
    "everything": (START - 2 * H, END + 2 * H),
    "under a day": (END - 20 * H, END - 2 * H),
    "from midnight": (END.replace(hour=0) - timedelta(days=2), END),
    "whole days": (END.replace(hour=0) - timedelta(days=3), END.replace(hour=0)),
}
CASES = [
    (name, group_by, location)
    for name in WINDOWS
    for group_by in ("hour", "location", "channel")
    for location in (None, "acme-loc-1")
]


def _norm(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        tuple(round(float(v), 6) if v is not None and not isinstance(v, str | datetime) else v
              for v in row)
        for row in rows
    ]  # fmt: skip


@pytest.fixture(scope="module")
def answers(target: Target) -> dict[tuple[str, str, str | None], tuple[list[Any], list[Any]]]:
    """(rollup answer, raw answer) per case, all on one connection (PGlite serves one)."""
    target.upgrade()
    out = {}
    with target.connect(autocommit=True) as conn:
        conn.execute(SEED_TENANTS)
        conn.execute(SEED, {"start": START, "end": END})
        run_upkeep(conn, opts=UpkeepOptions(full_refresh=True))
        for name, group_by, location in CASES:
            start, end = WINDOWS[name]
            g: AdGroup = group_by  # type: ignore[assignment]
            sql, params = ad_breaks_query(g, "acme", start, end, location)
            got = conn.execute(sql, params).fetchall()
            want = conn.execute(REFERENCE.format(key=_KEYS[group_by]), params).fetchall()
            out[(name, group_by, location)] = (_norm(got), _norm(want))
    return out


@pytest.mark.parametrize(("window", "group_by", "location"), CASES)
def test_rollups_match_raw_events(
    answers: dict[tuple[str, str, str | None], tuple[list[Any], list[Any]]],
    window: str,
    group_by: str,
    location: str | None,
) -> None:
    got, want = answers[(window, group_by, location)]
    assert want, "the reference query found no breaks: the seed or window is wrong"
    assert got == want
    if location is None and group_by == "location":
        assert [r[0] for r in got] == ["acme-loc-0", "acme-loc-1", "acme-loc-2"]  # no zeta
