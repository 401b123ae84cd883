"""Run a scenario in a private network namespace (``unshare -n``) when we can.

Inside, only a loopback interface exists, so mDNS multicast and every test port
stay in the namespace: nothing leaves the machine and parallel test runs cannot
see each other's adverts. Where ``unshare`` is not permitted (not root, a
container without CAP_SYS_ADMIN), or with ``ADWATCH_NO_NETNS=1``, the scenario
runs on the host's 127.0.0.1 with a venue id of its own.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
_SETUP = 'ip link set lo up && ip route add 224.0.0.0/4 dev lo && exec "$@"'


@functools.cache
def netns_available() -> bool:
    if os.environ.get("ADWATCH_NO_NETNS") == "1":  # force the host's loopback (debugging)
        return False
    try:
        done = subprocess.run(
            ["unshare", "-n", "sh", "-c", _SETUP, "sh", "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def run_scenario(module: str, args: list[str], timeout: float) -> dict[str, Any]:
    """Run ``python -m module args...`` (in a private netns when possible); the
    scenario prints its result as one JSON object on its last stdout line."""
    cmd = [sys.executable, "-m", module, *args]
    if netns_available():
        cmd = ["unshare", "-n", "sh", "-c", _SETUP, "sh", *cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    sys.stderr.write(done.stderr[-20000:])  # shown by pytest when the test fails
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise AssertionError(
            f"scenario {module} exited {done.returncode}:\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-5000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    result["netns"] = netns_available()
    return result
