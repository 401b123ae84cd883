"""Coordinator failover time: kill -9 the leader of a three-node venue, time the new advert.

Runs the failover scenario (three coordinator processes with the real venue
broker and bridge, two publishing workers, a Mosquitto standing in for the
cloud) N times, in a private network namespace when ``unshare -n`` works, and
writes ``bench-results/failover.md``: failover time (kill → new advert seen by
a browser) with its median, the Raft election alone as the reference measured
in the same runs, and their ratio (what broker + bridge + mDNS add).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.integration.coordinator.netns import netns_available, run_scenario  # noqa: E402


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs if r.get(key) is not None)


def report(runs: list[dict[str, Any]], netns: bool) -> str:
    failover, election = _median(runs, "failover_s"), _median(runs, "election_s")
    lines = [
        "# Coordinator failover",
        "",
        f"{len(runs)} runs; three coordinator processes on loopback"
        f"{' in a private network namespace (unshare -n)' if netns else ''};"
        " kill -9 of the leader while two workers publish QoS 1 at 20 msg/s each.",
        "",
        "| run | election s (reference) | new advert seen s | workers reconnected s "
        "| sent | missing in cloud | replayed | lost without replay |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs, 1):
        lines.append(
            f"| {i} | {r['election_s']} | {r['failover_s']} | {r['workers_reconnected_s']} "
            f"| {r['sent']} | {r['missing']} | {r['replayed']} | {r['lost_without_replay']} |"
        )
    lines += [
        "",
        f"**Failover time (median of {len(runs)}): {failover:.2f} s** "
        f"(min {min(r['failover_s'] for r in runs):.2f}, "
        f"max {max(r['failover_s'] for r in runs):.2f}).",
        f"Raft election alone (median, reference): {election:.2f} s; "
        f"failover / election = {failover / election:.2f}x "
        "(the rest is venue broker start, bridge subscription and the mDNS announcement).",
        f"Machine load average during the runs: {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (a shared machine: timings vary with it).",
        f"Messages missing in the cloud over all runs: {sum(r['missing'] for r in runs)}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", type=Path, default=ROOT / "bench-results" / "failover.md")
    args = p.parse_args(argv)
    result = run_scenario(
        "tests.integration.coordinator.scenario_failover",
        ["--runs", str(args.runs)],
        timeout=240.0 * args.runs,
    )
    text = report(result["runs"], netns_available())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
