"""ops/stack itself: `up` twice is harmless, `status` reports, restarts keep the data.

The restart tests disturb services other tests may be using, so they run only when the test run
owns its stack (`make test` sets ADWATCH_REQUIRE_STACK=1).
"""

from __future__ import annotations

import queue
import subprocess
import uuid

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.stack import REPO_ROOT, stack_required

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
SERVICES = ("postgres", "redis", "mosquitto", "kafka", "timescale")
owns_stack = pytest.mark.skipif(
    not stack_required(), reason="restarts shared services; runs under make test"
)


def stack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO_ROOT / "ops" / "stack"), *args],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )


def pids() -> dict[str, int]:
    out = stack("status").stdout
    return {
        line.split()[0]: int(line.split()[3]) for line in out.splitlines() if " running " in line
    }


def test_up_twice_is_harmless_and_status_reports(stack_env: dict[str, str]) -> None:
    before = pids()
    again = stack("up")
    assert again.returncode == 0, again.stdout + again.stderr
    for name in before:
        assert f"{name}: already running (pid {before[name]})" in again.stdout
    status = stack("status")
    assert status.returncode == 0, status.stdout
    lines = status.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(SERVICES)
    assert pids() == before  # nothing was restarted


def test_unknown_service_is_an_error(stack_env: dict[str, str]) -> None:
    res = stack("restart", "oracle")
    assert res.returncode != 0
    assert "unknown service 'oracle'" in res.stdout


@owns_stack
def test_restart_postgres_keeps_data(pg_admin_dsn: str) -> None:
    table = f"restart_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (note text)")
        conn.execute(f"INSERT INTO {table} VALUES ('survives')")
    old = pids()["postgres"]
    res = stack("restart", "postgres")
    assert res.returncode == 0, res.stdout + res.stderr
    assert pids()["postgres"] != old
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        assert conn.execute(f"SELECT note FROM {table}").fetchall() == [("survives",)]
        conn.execute(f"DROP TABLE {table}")


def _client(broker: tuple[str, int]) -> tuple[mqtt.Client, queue.Queue[mqtt.MQTTMessage]]:
    inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, msg: inbox.put(msg)
    client.connect(*broker)
    client.loop_start()
    return client, inbox


@owns_stack
def test_restart_mosquitto_keeps_retained(mqtt_broker: tuple[str, int]) -> None:
    topic = f"adwatch/test/restart/{uuid.uuid4().hex}"
    client, _ = _client(mqtt_broker)
    client.publish(topic, b"kept", qos=1, retain=True).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    res = stack("restart", "mosquitto")
    assert res.returncode == 0, res.stdout + res.stderr
    client, inbox = _client(mqtt_broker)
    try:
        client.subscribe(topic, qos=1)
        assert inbox.get(timeout=10).payload == b"kept"
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
