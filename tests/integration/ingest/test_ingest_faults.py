"""Faults while traffic flows: afterwards zero missing and zero duplicate rows.

One simulator run carries traffic through all four faults in turn: the Faust worker killed
with SIGKILL and restarted, a connector killed with SIGKILL and restarted (same client id,
so its persistent session hands back what it had not acknowledged), Kafka restarted, and
PostgreSQL restarted (both with ``ops/stack restart``).

The MQTT broker is a private Mosquitto whose session queues can hold the backlog of a Kafka
restart (which takes 15-60 s on this machine): the stack's broker keeps Mosquitto's default
of 1,000 queued messages per session and would drop the rest, which is the broker's
configuration, not the pipeline, losing them.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.integration.ingest.pipeline import Pipeline, Proc, poll, stored_ids, wait_stored
from tests.support.stack import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]


def _restart_service(name: str) -> None:
    done = subprocess.run(
        [str(REPO_ROOT / "ops" / "stack"), "restart", name],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"ops/stack restart {name}:\n{done.stdout}\n{done.stderr}"


def _until(start: float, at: float) -> None:
    time.sleep(max(0.0, start + at - time.monotonic()))


def _progress(pipe: Pipeline) -> int:
    return len(stored_ids(pipe.dsn, pipe.device_prefix))


def test_no_loss_no_duplicates_through_faults(pipeline_own_broker: Pipeline) -> None:
    pipeline = pipeline_own_broker
    c1, c2 = pipeline.connector(1).start(), pipeline.connector(2).start()
    worker = pipeline.worker().start()
    for proc in (c1, c2):
        proc.wait_log("connector.started", timeout=60)
    sim = pipeline.simulator(devices=60, rate=150, duration=45, seed=21)
    assert poll(lambda: _progress(pipeline) > 0, timeout=40), worker.log()[-3000:]
    start = time.monotonic()
    seen = [_progress(pipeline)]
    worker.kill9()  # Faust: un-acknowledged batches must come back from Kafka
    _until(start, 2)
    worker = pipeline.worker("worker-2").start()

    _until(start, 8)
    c1.kill9()  # the broker keeps c1's session and un-acked messages
    _until(start, 10)
    c1 = Proc(c1.name + "-2", c1.argv, c1.log_path.parent).start()
    pipeline.procs.append(c1)

    _until(start, 15)
    seen.append(_progress(pipeline))
    _restart_service("kafka")  # 15-60 s here

    _until(start, 30)
    seen.append(_progress(pipeline))
    _restart_service("postgres")

    sim.wait(timeout=90)
    sent = sim.ids()
    stored = wait_stored(pipeline.dsn, pipeline.device_prefix, sent, timeout=120)
    missing, extra = sent - set(stored), set(stored) - sent
    assert not missing, f"{len(missing)} of {len(sent)} messages lost"
    assert not extra
    assert max(stored.values()) == 1, "a message was stored twice"
    # Traffic really flowed through each fault (not one burst at the end).
    assert seen == sorted(seen) and seen[0] > 0 and seen[-1] > seen[0], seen
    for proc in (worker, c1, c2):
        assert proc.alive, f"{proc.name} died:\n{proc.log()[-3000:]}"
