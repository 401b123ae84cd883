"""The embedded venue broker (real amqtt on loopback): auth, ACL and MQTT 3.1.1 behaviours."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from broker.errors import MqttError
from broker.mqtt_client import AsyncMqttClient, MqttSettings, Will
from broker.venue.server import VenueBroker
from broker.venue.settings import TlsSettings, VenueSettings
from schemas.topics import device_filter, device_topic
from tests.integration.venue.venue_support import (
    LOCATION,
    TENANT,
    Inbox,
    client,
    connect_packet,
    publish_packet,
    pubrel_packet,
    raw_connect,
    read_packet,
    venue,
    write_passwords,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def topic(device: str, kind: str) -> str:
    return device_topic(TENANT, LOCATION, device, kind)


async def test_wrong_credentials_refused(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        for user, password in (("tv-1", "wrong"), ("nobody", "pw-one"), (None, None)):
            with pytest.raises(MqttError, match="refused"):
                async with client(broker.port, user, password=password, client_id="x"):
                    pass
        assert broker.guard.auth_failed == 3
        async with client(broker.port, "tv-1", client_id="tv-1") as ok:
            assert ok.is_connected


async def test_wrong_password_cannot_touch_a_session(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        inbox = Inbox()
        async with client(
            broker.port, "tv-1", client_id="tv-1", inbox=inbox, clean_session=False
        ) as device:
            await device.subscribe([(topic("tv-1", "cmd"), 1)])
            # Same client id, wrong password, clean session: amqtt would have wiped tv-1's
            # session and kicked it before checking the password.
            with pytest.raises(MqttError):
                async with client(broker.port, "tv-1", password="bad", client_id="tv-1"):
                    pass
            async with client(broker.port, "coordinator", client_id="coord") as coord:
                await coord.publish(topic("tv-1", "cmd"), b"still-here", qos=1)
            assert [m.payload for m in await inbox.wait_for(1)] == [b"still-here"]
            assert device.is_connected


async def test_publish_to_another_device_is_refused_and_counted(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        seen = Inbox()
        async with (
            client(broker.port, "coordinator", client_id="coord", inbox=seen) as coord,
            client(broker.port, "tv-1", client_id="tv-1") as device,
        ):
            await coord.subscribe([(f"adwatch/v1/{TENANT}/#", 1)])
            await device.publish(topic("tv-2", "events/ad"), b"forged", qos=1)
            await device.publish(topic("tv-1", "config"), b"forged-down", qos=1)
            await device.publish(topic("tv-1", "events/ad"), b"mine", qos=1)
            got = await seen.wait_for(1)
            await asyncio.sleep(0.3)
        assert [m.payload for m in seen.messages] == [b"mine"]
        assert got[0].topic == topic("tv-1", "events/ad")
        assert broker.guard.denied["publish"] == 2


async def test_suback_failure_code_for_denied_subscription(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        async with client(broker.port, "tv-1", client_id="tv-1") as device:
            granted = await device.subscribe(
                [
                    (topic("tv-1", "cmd"), 1),
                    (topic("tv-2", "cmd"), 1),
                    ("#", 0),
                    (f"adwatch/v1/{TENANT}/ota/+/+", 1),
                ]
            )
        assert granted == [1, 0x80, 0x80, 1]
        assert broker.guard.denied["subscribe"] == 2


@pytest.mark.parametrize("dev", [False, True], ids=["authenticated", "dev-anonymous"])
async def test_persistent_session_queues_while_away(tmp_path: Path, dev: bool) -> None:
    async with venue(tmp_path, dev=dev) as broker:
        user = None if dev else "tv-1"
        async with client(broker.port, user, client_id="tv-1", clean_session=False) as device:
            assert await device.subscribe([(topic("tv-1", "cmd"), 1)]) == [1]
        async with client(broker.port, None if dev else "coordinator", client_id="c") as coord:
            for i in range(3):
                await coord.publish(topic("tv-1", "cmd"), b"cmd-%d" % i, qos=1)
        await asyncio.sleep(0.2)
        inbox = Inbox()
        async with client(broker.port, user, client_id="tv-1", inbox=inbox, clean_session=False):
            got = await inbox.wait_for(3)
        assert sorted(m.payload for m in got) == [b"cmd-0", b"cmd-1", b"cmd-2"]
        assert not any(m.retain for m in got)  # queued, not retained [MQTT-3.3.1-9]


async def test_retained_messages(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        async with client(broker.port, "coordinator", client_id="coord") as coord:
            await coord.publish(topic("tv-1", "config"), b"v1", qos=1, retain=True)
            await coord.publish(topic("tv-2", "config"), b"other", qos=1, retain=True)
            await coord.publish(topic("tv-1", "config"), b"v2", qos=1, retain=True)
        inbox = Inbox()
        async with client(
            broker.port, "tv-1", client_id="tv-1", inbox=inbox, clean_session=False
        ) as device:
            await device.subscribe([(topic("tv-1", "config"), 1)])
            got = await inbox.wait_for(1)
            await asyncio.sleep(0.3)
        assert [(m.payload, m.retain) for m in inbox.messages] == [(b"v2", True)]
        assert got[0].qos == 1
        # Reconnecting must not replay retained messages of other subscriptions (amqtt did).
        again = Inbox()
        async with client(broker.port, "tv-1", client_id="tv-1", inbox=again, clean_session=False):
            await asyncio.sleep(0.5)
        assert again.messages == []
        # An empty retained payload clears it.
        async with client(broker.port, "coordinator", client_id="coord") as coord:
            await coord.publish(topic("tv-1", "config"), b"", qos=1, retain=True)
        late = Inbox()
        async with client(broker.port, "tv-1", client_id="tv-1b", inbox=late) as device:
            await device.subscribe([(topic("tv-1", "config"), 1)])
            await asyncio.sleep(0.5)
        assert late.messages == []


async def test_will_on_abrupt_close_and_on_keepalive_expiry(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        wills = Inbox()
        async with client(broker.port, "coordinator", client_id="coord", inbox=wills) as coord:
            await coord.subscribe([(device_filter(TENANT, LOCATION, "+", "status"), 1)])
            # 1. socket closed without DISCONNECT
            _r, writer, code = await raw_connect(
                broker.port,
                connect_packet(
                    "tv-1", "tv-1", "pw-one", will=(topic("tv-1", "status"), b"offline-1")
                ),
            )
            assert code == 0
            writer.close()
            await wills.wait_for(1)
            # 2. silent client: keepalive 1 s -> closed after 1.5 s, Will sent
            _r, writer2, code = await raw_connect(
                broker.port,
                connect_packet(
                    "tv-2",
                    "tv-2",
                    "pw-two",
                    keepalive=1,
                    will=(topic("tv-2", "status"), b"offline-2"),
                ),
            )
            assert code == 0
            got = await wills.wait_for(2, within=10)
            writer2.close()
        assert [m.payload for m in got] == [b"offline-1", b"offline-2"]


async def test_will_on_another_devices_topic_is_refused(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        _r, writer, code = await raw_connect(
            broker.port,
            connect_packet("tv-1", "tv-1", "pw-one", will=(topic("tv-2", "status"), b"forged")),
        )
        writer.close()
        assert code == 5  # not authorised
        assert broker.guard.denied["publish"] == 1


async def test_qos2_exactly_once_across_dup_and_reconnect(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        inbox = Inbox()
        async with client(broker.port, "coordinator", client_id="coord", inbox=inbox) as coord:
            await coord.subscribe([(topic("tv-1", "events/ad"), 2)])
            login = connect_packet("tv-1", "tv-1", "pw-one", clean=False)
            reader, writer, code = await raw_connect(broker.port, login)
            assert code == 0
            packet = publish_packet(topic("tv-1", "events/ad"), b"once", qos=2, pid=7)
            writer.write(packet)
            assert (await read_packet(reader))[0] == 0x50  # PUBREC
            writer.write(publish_packet(topic("tv-1", "events/ad"), b"once", 2, 7, dup=True))
            assert (await read_packet(reader))[0] == 0x50
            writer.close()  # connection lost before PUBREL
            reader, writer, code = await raw_connect(broker.port, login)
            assert code == 0
            writer.write(pubrel_packet(7))  # the client resumes the exchange
            first, body = await read_packet(reader)
            assert (first, body) == (0x70, b"\x00\x07")  # PUBCOMP
            got = await inbox.wait_for(1)
            await asyncio.sleep(0.5)
            writer.close()
        assert [m.payload for m in inbox.messages] == [b"once"]
        assert got[0].qos == 2


async def test_overlapping_subscriptions_one_copy_at_max_qos(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        inbox = Inbox()
        async with (
            client(broker.port, "coordinator", client_id="coord", inbox=inbox) as coord,
            client(broker.port, "tv-1", client_id="tv-1") as device,
        ):
            await coord.subscribe(
                [
                    (f"adwatch/v1/{TENANT}/#", 1),
                    (device_filter(TENANT, LOCATION, "+", "events/ad"), 0),
                ]
            )
            await device.publish(topic("tv-1", "events/ad"), b"e", qos=1)
            await device.publish(topic("tv-1", "health"), b"h", qos=0)
            await inbox.wait_for(2)
            await asyncio.sleep(0.5)
        got = sorted((m.payload, m.qos) for m in inbox.messages)
        # one copy each; delivered QoS = min(publish QoS, best matching subscription QoS)
        assert got == [(b"e", 1), (b"h", 0)]


async def test_unacknowledged_delivery_is_resent_on_reconnect(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        first = Inbox()
        async with client(
            broker.port, "tv-1", client_id="tv-1", inbox=first, clean_session=False, manual_ack=True
        ) as device:
            await device.subscribe([(topic("tv-1", "cmd"), 1)])
            async with client(broker.port, "coordinator", client_id="coord") as coord:
                await coord.publish(topic("tv-1", "cmd"), b"do-it", qos=1)
            await first.wait_for(1)
            await asyncio.sleep(6)  # longer than amqtt's 5-s PUBACK timeout; never acked
        second = Inbox()
        async with client(broker.port, "tv-1", client_id="tv-1", inbox=second, clean_session=False):
            got = await second.wait_for(1)
        assert [m.payload for m in got] == [b"do-it"]


async def test_will_is_not_sent_on_clean_disconnect(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        wills = Inbox()
        async with client(broker.port, "coordinator", client_id="coord", inbox=wills) as coord:
            await coord.subscribe([(device_filter(TENANT, LOCATION, "+", "status"), 1)])
            will = Will(topic("tv-1", "status"), b"offline", 1, True)
            async with client(broker.port, "tv-1", client_id="tv-1", will=will):
                pass
            await asyncio.sleep(0.5)
        assert wills.messages == []


async def test_acknowledged_burst_is_delivered_after_the_publisher_leaves(tmp_path: Path) -> None:
    async with venue(tmp_path) as broker:
        inbox = Inbox()
        async with client(broker.port, "coordinator", client_id="coord", inbox=inbox) as coord:
            await coord.subscribe([(topic("tv-1", "events/ad"), 1)])
            async with client(broker.port, "tv-1", client_id="tv-1", clean_session=False) as device:
                await asyncio.gather(
                    *[
                        device.publish(topic("tv-1", "events/ad"), b"%d" % i, qos=1)
                        for i in range(500)
                    ]
                )
            # every PUBACK is in; the publisher is gone
            got = await inbox.wait_for(500, within=30)
        assert sorted(int(m.payload) for m in got) == list(range(500))


async def test_tls_listener(tmp_path: Path, self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    settings = VenueSettings(
        tenant=TENANT,
        location=LOCATION,
        host="127.0.0.1",
        port=0,
        password_file=str(write_passwords(tmp_path / "venue.passwd")),
        tls=TlsSettings(certfile=str(cert), keyfile=str(key), port=0),
    )
    async with VenueBroker(settings) as broker:
        assert broker.tls_port is not None
        secure = MqttSettings(
            host="127.0.0.1",
            port=broker.tls_port,
            client_id="tv-1",
            username="tv-1",
            password="pw-one",
            tls=True,
            ca_file=str(cert),
        )
        inbox = Inbox()
        async with AsyncMqttClient(secure, inbox) as device:
            assert await device.subscribe([(topic("tv-1", "cmd"), 1)]) == [1]
            async with client(broker.port, "coordinator", client_id="coord") as coord:
                await coord.publish(topic("tv-1", "cmd"), b"over-tls", qos=1)
            assert [m.payload for m in await inbox.wait_for(1)] == [b"over-tls"]
        bad = MqttSettings(
            host="127.0.0.1",
            port=broker.tls_port,
            client_id="tv-1",
            username="tv-1",
            password="wrong",
            tls=True,
            ca_file=str(cert),
        )
        with pytest.raises(MqttError):
            async with AsyncMqttClient(bad):
                pass


async def test_offline_queue_is_bounded_and_drops_oldest(tmp_path: Path) -> None:
    async with venue(tmp_path, max_offline_messages=3) as broker:
        async with client(broker.port, "tv-1", client_id="tv-1", clean_session=False) as device:
            await device.subscribe([(topic("tv-1", "cmd"), 1)])
        async with client(broker.port, "coordinator", client_id="coord") as coord:
            for i in range(5):
                await coord.publish(topic("tv-1", "cmd"), b"%d" % i, qos=1)
        await asyncio.sleep(0.3)
        inbox = Inbox()
        async with client(broker.port, "tv-1", client_id="tv-1", inbox=inbox, clean_session=False):
            await inbox.wait_for(3)
            await asyncio.sleep(0.3)
        assert sorted(m.payload for m in inbox.messages) == [b"2", b"3", b"4"]
        assert broker.offline_dropped == 2
