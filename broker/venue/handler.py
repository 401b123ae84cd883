"""``VenueProtocolHandler``: amqtt's broker-side protocol handler with MQTT 3.1.1 fixes.

What changed against amqtt 0.12.1 ``BrokerProtocolHandler`` (and why):
1. Keepalive is enforced: a read timeout (keepalive x factor without a packet) closes
   the connection as an abnormal disconnect, so the Will is published
   [MQTT-3.1.2-24]. amqtt only logged it.
2. Outgoing QoS 1/2 deliveries stay in the session's in-flight store until the
   client acknowledges them, however long that takes, and are re-sent with DUP on
   reconnect [MQTT-4.4.0-1]. amqtt gave up after 5 s and on disconnect, silently
   dropping the message.
3. A PUBREL without a waiting flow (typically re-sent by the client after a
   reconnect) completes the QoS 2 exchange: the stored message is delivered once and
   PUBCOMP is sent [MQTT-4.3.3]. amqtt ignored it, so the client waited forever.
4. On reconnect only *outgoing* in-flight messages are re-sent, in the background;
   incoming QoS 2 messages wait for the client's PUBREL (3). amqtt re-ran the
   incoming flow too, which could deliver a QoS 2 message twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.puback import PubackPacket
from amqtt.mqtt.pubcomp import PubcompPacket
from amqtt.mqtt.pubrec import PubrecPacket
from amqtt.mqtt.pubrel import PubrelPacket
from amqtt.session import OUTGOING


class VenueProtocolHandler(BrokerProtocolHandler):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stopped = False
        self._retries: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- keepalive (1)

    def handle_read_timeout(self) -> None:
        if self._stopped:
            return
        self.logger.info("keepalive expired: closing the connection")
        task = asyncio.ensure_future(self._close_for_keepalive())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _close_for_keepalive(self) -> None:
        await self.handle_connection_closed()  # the broker treats it as abnormal: Will sent
        if self._reader_task is not None and not self._reader_task.done():
            self._reader_task.cancel()

    async def stop(self) -> None:
        self._stopped = True
        for task in list(self._retries):
            task.cancel()
        await super().stop()

    # ---------------------------------------------------------------- redelivery (2, 4)

    async def _retry_deliveries(self) -> None:
        if self.session is None:
            return
        for message in list(self.session.inflight_out.values()):
            task = asyncio.ensure_future(self._handle_message_flow(message))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)

    async def _handle_qos1_message_flow(self, app_message: Any) -> None:
        if app_message.direction != OUTGOING:
            await super()._handle_qos1_message_flow(app_message)
            return None
        assert self.session is not None and app_message.packet_id is not None
        pid = app_message.packet_id
        self.session.inflight_out[pid] = app_message
        packet = app_message.build_publish_packet(dup=app_message.publish_packet is not None)
        await self._send_packet(packet)
        app_message.publish_packet = packet
        app_message.puback_packet = await self._wait(self._puback_waiters, pid)
        self.session.inflight_out.pop(pid, None)  # only now: acknowledged
        return None

    async def _handle_qos2_message_flow(self, app_message: Any) -> None:
        if app_message.direction != OUTGOING:
            await super()._handle_qos2_message_flow(app_message)
            return None
        assert self.session is not None and app_message.packet_id is not None
        pid = app_message.packet_id
        self.session.inflight_out[pid] = app_message
        if app_message.pubrec_packet is None:
            dup = app_message.publish_packet is not None
            packet = app_message.build_publish_packet(dup=dup)
            await self._send_packet(packet)
            app_message.publish_packet = packet
            app_message.pubrec_packet = await self._wait(self._pubrec_waiters, pid)
        app_message.pubrel_packet = PubrelPacket.build(pid)
        await self._send_packet(app_message.pubrel_packet)
        app_message.pubcomp_packet = await self._wait(self._pubcomp_waiters, pid)
        self.session.inflight_out.pop(pid, None)
        return None

    async def _wait(self, waiters: dict[int, Any], pid: int) -> Any:
        """Wait for the acknowledgement of ``pid``; cancelled (message kept) when the link stops."""
        if self._stopped:
            raise asyncio.CancelledError
        waiter: asyncio.Future[PubackPacket | PubrecPacket | PubcompPacket] = asyncio.Future()
        waiters[pid] = waiter
        try:
            return await waiter
        finally:
            waiters.pop(pid, None)

    # ---------------------------------------------------------------- QoS 2 in (3)

    async def handle_pubrel(self, pubrel: PubrelPacket) -> None:
        pid = pubrel.packet_id
        waiter = self._pubrel_waiters.get(pid)
        if waiter is not None and not waiter.done():
            waiter.set_result(pubrel)
            return
        if self.session is not None:
            message = self.session.inflight_in.pop(pid, None)
            if message is not None:
                await self.session.delivered_message_queue.put(message)
        await self._send_packet(PubcompPacket.build(pid))
