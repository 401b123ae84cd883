"""The generated Mosquitto config, run by the real Mosquitto 2.0: auth, ACL and native bridge."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.errors import MqttError, PublishError
from broker.mosquitto.cli import write
from broker.mosquitto.config import CloudLink, MosquittoSettings
from schemas.topics import device_filter, device_topic
from tests.integration.venue.venue_support import (
    LOCATION,
    TENANT,
    Inbox,
    client,
    write_passwords,
)
from tests.support.mosquitto import MosquittoBroker, mosquitto_bin, run_mosquitto
from tests.support.ports import free_port, port_open

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def topic(device: str, kind: str) -> str:
    return device_topic(TENANT, LOCATION, device, kind)


@pytest.fixture
def cloud() -> Iterator[MosquittoBroker]:
    with run_mosquitto() as broker:
        yield broker


@pytest.fixture
def venue_mosquitto(tmp_path: Path, cloud: MosquittoBroker) -> Iterator[int]:
    port = free_port()
    settings = MosquittoSettings(
        tenant=TENANT,
        location=LOCATION,
        host="127.0.0.1",
        port=port,
        password_file=str(write_passwords(tmp_path / "venue.passwd")),
        persistence_dir=str(tmp_path / "data"),
        run_as_user="root" if os.geteuid() == 0 else None,
        cloud=CloudLink(host=cloud.host, port=cloud.port),
    )
    (tmp_path / "data").mkdir()
    conf = write(settings, tmp_path / "mosquitto")
    log = (tmp_path / "mosquitto.log").open("wb")
    proc = subprocess.Popen(
        [mosquitto_bin(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while not port_open(port, "127.0.0.1", timeout=0.2):
            assert proc.poll() is None, (tmp_path / "mosquitto.log").read_text()
            assert time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait(10)
        log.close()


async def test_wrong_credentials_refused(venue_mosquitto: int) -> None:
    for user, password in (("tv-1", "wrong"), ("nobody", "x"), (None, None)):
        with pytest.raises(MqttError, match="refused"):
            async with client(venue_mosquitto, user, password=password, client_id="x"):
                pass
    async with client(venue_mosquitto, "tv-1", client_id="tv-1") as ok:
        assert ok.is_connected


async def test_acl_holds(venue_mosquitto: int) -> None:
    seen = Inbox()
    async with client(venue_mosquitto, "coordinator", client_id="coord", inbox=seen) as coord:
        await coord.subscribe([(device_filter(TENANT), 1)])
        for forged in (topic("tv-2", "events/ad"), topic("tv-1", "config")):
            # Mosquitto 2.0.11 PUBACKs a denied QoS 1 publish from a 3.1.1 client and then
            # closes its connection (MQTT-3.3.5-2 allows either): the refusal is visible.
            async with client(venue_mosquitto, "tv-1", client_id="tv-1") as device:
                with contextlib.suppress(PublishError):
                    await device.publish(forged, b"forged", qos=1)
                assert device.disconnected is not None
                await asyncio.wait_for(device.disconnected, 5)
        mine = Inbox()
        async with client(venue_mosquitto, "tv-1", client_id="tv-1", inbox=mine) as device:
            await device.publish(topic("tv-1", "events/ad"), b"mine", qos=1)
            await seen.wait_for(1)
            # Mosquitto 2.0.11 grants these SUBACKs but enforces "read" when delivering.
            await device.subscribe(
                [
                    (topic("tv-1", "cmd"), 1),
                    (topic("tv-2", "cmd"), 1),
                    ("#", 1),
                    (f"adwatch/v1/{TENANT}/ota/+/+", 1),
                ]
            )
            await coord.publish(topic("tv-2", "cmd"), b"not-yours", qos=1)
            await coord.publish(topic("tv-2", "events/ad"), b"not-yours-either", qos=1)
            await coord.publish(topic("tv-1", "cmd"), b"yours", qos=1)
            await mine.wait_for(1)
            await asyncio.sleep(0.3)
    assert [m.payload for m in seen.messages if m.topic.endswith("events/ad")][:1] == [b"mine"]
    assert b"forged" not in [m.payload for m in seen.messages]
    assert [m.payload for m in mine.messages] == [b"yours"]


async def test_native_bridge_both_ways(venue_mosquitto: int, cloud: MosquittoBroker) -> None:
    up = Inbox()
    down = Inbox()
    async with client(cloud.port, None, client_id="cloud-sub", inbox=up) as cloud_sub:
        await cloud_sub.subscribe([(device_filter(TENANT), 1)])
        async with client(venue_mosquitto, "tv-1", client_id="tv-1", inbox=down) as device:
            await device.subscribe([(topic("tv-1", "config"), 1)])
            await asyncio.sleep(1.0)  # the bridge connects on its own schedule
            await cloud_sub.publish(topic("tv-1", "config"), b"cfg", qos=1, retain=True)
            await device.publish(topic("tv-1", "events/ad"), b"event", qos=1)
            got_up = await up.wait_for(2, within=15)
            got_down = await down.wait_for(1, within=15)
    assert b"event" in [m.payload for m in got_up]
    assert [m.payload for m in got_down] == [b"cfg"]
