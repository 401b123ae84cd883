"""Fault injection: kill -9 a process writing (or acking) mid-stream, reopen, count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from broker.spool import Outgoing, Spool
from schemas.topics import device_topic

TOPIC = device_topic("acme", "bar-1", "tv-1", "telemetry")

# Prints a line only after the call returned, i.e. after the commit.
WRITER = """
import sys
from broker.spool import Spool
spool = Spool(sys.argv[1])
i = 0
while True:
    seq = spool.put(sys.argv[2], b"msg-%08d" % i)
    print(seq, i, flush=True)
    i += 1
"""

ACKER = """
import sys
from broker.spool import Spool
spool = Spool(sys.argv[1])
while True:
    items = spool.peek(7)
    if not items:
        break
    spool.ack(*[item.seq for item in items])
    print(" ".join(str(item.seq) for item in items), flush=True)
"""


def _run_then_kill(script: str, args: list[str], lines: int) -> list[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line.strip())
        if len(seen) >= lines:
            break
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    seen.extend(x for x in rest.splitlines() if x.strip())
    assert proc.returncode == -signal.SIGKILL
    return seen


@pytest.mark.timeout(60)
def test_kill_writer_loses_nothing_returned(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    printed = _run_then_kill(WRITER, [str(path), TOPIC], lines=1500)
    confirmed = {int(line.split()[1]) for line in printed}
    with Spool(path) as spool:
        stored = [int(item.payload[4:]) for item in spool.peek(100_000)]
        assert spool.depth == len(stored)
    assert confirmed <= set(stored), "a put that returned was lost"
    # Nothing invented, no gaps, no duplicates; at most the one put in flight extra.
    assert stored == list(range(len(stored)))
    assert len(confirmed) <= len(stored) <= len(confirmed) + 1


@pytest.mark.timeout(60)
def test_kill_acker_never_resurrects_acked(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    total = 6000
    with Spool(path) as spool:
        for start in range(0, total, 500):
            spool.put_many([_outgoing(i) for i in range(start, start + 500)])
    printed = _run_then_kill(ACKER, [str(path)], lines=300)
    acked = {int(seq) for line in printed for seq in line.split()}
    with Spool(path) as spool:
        left = {item.seq for item in spool.peek(100_000)}
    assert not acked & left, "an acked message came back"
    # Every message not confirmed acked is still there, except at most one batch in flight.
    assert total - len(acked) - 7 <= len(left) <= total - len(acked)


def _outgoing(i: int) -> Outgoing:
    return Outgoing(TOPIC, b"msg-%08d" % i)
