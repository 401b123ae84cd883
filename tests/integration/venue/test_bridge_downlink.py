"""The bridge in-process: downlink, retain flags, coalescing, live vs backlog, TLS to the cloud."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest

from broker.bridge.core import Bridge
from broker.bridge.settings import BridgeSettings, Endpoint
from broker.spool import Outgoing, Spool
from schemas.topics import device_filter, device_topic, ota_topic
from tests.integration.venue.venue_support import (
    LOCATION,
    PASSWORDS,
    TENANT,
    Inbox,
    client,
    venue,
)
from tests.support.mosquitto import run_mosquitto
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def settings(tmp_path: Path, venue_port: int, cloud_port: int, **extra: object) -> BridgeSettings:
    return BridgeSettings(
        tenant=TENANT,
        location=LOCATION,
        spool_path=str(tmp_path / "spool.db"),
        local=Endpoint(
            host="127.0.0.1",
            port=venue_port,
            username="coordinator",
            password=PASSWORDS["coordinator"],
        ),
        cloud=Endpoint(host="127.0.0.1", port=cloud_port),
        backoff_initial_s=0.1,
        backoff_max_s=0.5,
        **extra,  # type: ignore[arg-type]
    )


async def _until(predicate: object, within: float) -> None:
    assert callable(predicate)
    for _ in range(int(within / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError


async def test_downlink_reaches_devices_with_retain(tmp_path: Path) -> None:
    config = device_topic(TENANT, LOCATION, "tv-1", "config")
    command = device_topic(TENANT, LOCATION, "tv-1", "cmd")
    manifest = ota_topic(TENANT, "stable", "pi4")
    other_venue = device_topic(TENANT, "bar-2", "tv-9", "config")
    with run_mosquitto() as cloud:
        async with venue(tmp_path) as broker, Bridge(settings(tmp_path, broker.port, cloud.port)):
            async with client(cloud.port, None, client_id="cloud-api") as api:
                await api.publish(manifest, b"fw-1", qos=1, retain=True)
                await asyncio.sleep(1.0)  # bridge subscribes in the cloud
                await api.publish(config, b"cfg-2", qos=1, retain=True)  # live: retain cleared
                await api.publish(command, b"reboot", qos=1)
                await api.publish(other_venue, b"not-here", qos=1, retain=True)
                live = Inbox()
                async with client(broker.port, "tv-1", client_id="tv-1", inbox=live) as device:
                    await device.subscribe([(command, 1)])
                    await api.publish(command, b"reboot-2", qos=1)
                    await live.wait_for(1)
            # A device that connects later still finds config and manifest retained locally.
            late = Inbox()
            async with client(broker.port, "tv-1", client_id="tv-1b", inbox=late) as device:
                await device.subscribe(
                    [
                        (config, 1),
                        (manifest, 1),
                        (device_filter(TENANT, LOCATION, "+", "config"), 1),
                    ]
                )
                await late.wait_for(2)
                await asyncio.sleep(0.3)
    # (two overlapping filters may each bring the retained config: allowed by MQTT;
    # no command and nothing of another venue)
    assert {(m.topic, m.payload, m.retain) for m in late.messages} == {
        (config, b"cfg-2", True),
        (manifest, b"fw-1", True),
    }
    # commands are live only (never retained); "reboot" may or may not beat the subscription
    assert [m.payload for m in live.messages][-1:] == [b"reboot-2"]


async def test_health_coalesces_and_events_survive_a_full_queue(tmp_path: Path) -> None:
    health = device_topic(TENANT, LOCATION, "tv-1", "health")
    events = device_topic(TENANT, LOCATION, "tv-1", "events/ad")
    with run_mosquitto() as cloud:
        cloud.stop()  # the outage: everything stays in the spool
        async with venue(tmp_path) as broker:
            small = settings(tmp_path, broker.port, cloud.port, spool_max_bytes=4096)
            async with (
                Bridge(small) as bridge,
                client(broker.port, "tv-1", client_id="tv-1", clean_session=False) as device,
            ):
                for i in range(40):  # 40 x ~100 B of health alone would pass 4 KiB
                    await device.publish(health, b"h%03d" % i + b"." * 60, qos=1)
                for i in range(20):
                    await device.publish(events, b"e%03d" % i + b"." * 60, qos=1)
                assert bridge.spool is not None
                spool = bridge.spool
                await _until(
                    lambda: any(i.payload.startswith(b"e019") for i in spool.peek(1000)), 20
                )
                queued = [i.payload[:4] for i in spool.peek(1000)]
                assert spool.bytes <= 4096
        assert [p for p in queued if p.startswith(b"e")] == [b"e%03d" % i for i in range(20)]
        kept_health = [p for p in queued if p.startswith(b"h")]
        assert kept_health and kept_health[-1] == b"h039"  # the latest report is kept
        assert len(kept_health) < 40


async def test_live_traffic_is_not_stuck_behind_the_backlog(tmp_path: Path) -> None:
    backlog = 2000
    old = device_topic(TENANT, LOCATION, "tv-1", "telemetry")
    live = device_topic(TENANT, LOCATION, "tv-2", "events/ad")
    with Spool(tmp_path / "spool.db") as spool:  # what an outage left behind
        spool.put_many([Outgoing(old, b"old-%05d" % i) for i in range(backlog)])
    with run_mosquitto("max_queued_messages 0") as cloud:
        arrived = Inbox()
        async with client(cloud.port, None, client_id="cloud-sub", inbox=arrived) as sub:
            await sub.subscribe([(device_filter(TENANT), 1)])
            async with venue(tmp_path) as broker:
                slow = settings(tmp_path, broker.port, cloud.port, window=4, live_share=0.25)
                async with (
                    Bridge(slow) as bridge,
                    client(broker.port, "tv-2", client_id="tv-2") as device,
                ):
                    await bridge.wait_ready()
                    await _until(lambda: len(arrived.messages) >= 50, 30)
                    await device.publish(live, b"live", qos=1)
                    await _until(lambda: b"live" in [m.payload for m in arrived.messages], 30)
                    position = [m.payload for m in arrived.messages].index(b"live")
                    await arrived.wait_for(backlog + 1, within=60)
    # Delivered while most of the backlog still waited, not after all of it.
    assert position < backlog // 2, position
    old_order = [m.payload for m in arrived.messages if m.payload.startswith(b"old")]
    assert old_order == [b"old-%05d" % i for i in range(backlog)]  # oldest first


async def test_device_status_stays_retained_in_the_cloud(tmp_path: Path) -> None:
    status = device_topic(TENANT, LOCATION, "tv-1", "status")
    with run_mosquitto() as cloud:
        async with (
            venue(tmp_path) as broker,
            Bridge(settings(tmp_path, broker.port, cloud.port)) as bridge,
        ):
            await bridge.wait_ready()
            async with client(broker.port, "tv-1", client_id="tv-1") as device:
                await device.publish(status, b"online", qos=1, retain=True)
            assert bridge.spool is not None
            spool = bridge.spool
            await _until(lambda: bridge.meter.rate() > 0 and spool.depth == 0, 20)
        late = Inbox()  # subscribes after the fact: only a retained message reaches it
        async with client(cloud.port, None, client_id="dashboard", inbox=late) as dash:
            await dash.subscribe([(status, 1)])
            got = await late.wait_for(1)
    assert [(m.payload, m.retain) for m in got] == [(b"online", True)]


async def test_bridge_to_cloud_over_tls(tmp_path: Path, self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    tls_port = free_port()
    event = device_topic(TENANT, LOCATION, "tv-1", "events/ad")
    tls_listener = f"listener {tls_port} 127.0.0.1\ncertfile {cert}\nkeyfile {key}"
    with run_mosquitto(tls_listener) as cloud:
        base = settings(tmp_path, 0, cloud.port)
        arrived = Inbox()
        async with client(cloud.port, None, client_id="cloud-sub", inbox=arrived) as sub:
            await sub.subscribe([(event, 1)])
            async with venue(tmp_path) as broker:
                secure = msgspec.structs.replace(
                    base,
                    local=msgspec.structs.replace(base.local, port=broker.port),
                    cloud=Endpoint(host="127.0.0.1", port=tls_port, tls=True, ca_file=str(cert)),
                )
                async with (
                    Bridge(secure) as bridge,
                    client(broker.port, "tv-1", client_id="tv-1") as device,
                ):
                    await bridge.wait_ready()
                    await device.publish(event, b"over-tls", qos=1)
                    got = await arrived.wait_for(1, within=20)
    assert [m.payload for m in got] == [b"over-tls"]
