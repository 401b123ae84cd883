"""``VenueAmqttBroker``: amqtt 0.12.1's ``Broker`` with the MQTT 3.1.1 fixes devices rely on.

What changed against ``amqtt.broker.Broker`` (and why) — protocol-handler fixes are in
``broker.venue.handler``:
1. CONNECT is authenticated *before* any existing session is touched. amqtt first
   deleted (clean session) or took over (persistent) the session of the same client
   id, so a stranger with a wrong password could wipe or kick any device's session.
   Refused CONNECTs get CONNACK 0x04 (bad user name or password); a Will whose topic
   the ACL denies gets 0x05 (not authorised) and is counted.
2. A reconnecting persistent session gets its *own* queued messages, with the retain
   flag clear [MQTT-3.3.1-9], without blocking its message loop. amqtt re-sent the
   retained messages of *every* subscription in the broker (other devices' config
   included: an ACL leak) and flagged queued messages as retained.
3. Delivery QoS is min(publish QoS, subscription QoS) [MQTT-3.3.5-1], and overlapping
   subscriptions of one client deliver one copy at the highest matching QoS. amqtt
   delivered at the subscription's QoS (upgrading QoS 0 publishes) and once per
   matching filter.
4. Offline QoS 1/2 messages are queued for every persistent session, anonymous ones in
   ``--dev`` included (the auth plugin never marks sessions anonymous). Queues are
   still in memory: a broker restart loses them (the worker outbox and the bridge
   spool cover uplink; retained config is re-sent by the bridge).
5. Retained messages are sent at min(retained QoS, subscription QoS) (amqtt turned a
   retained QoS 0 into the subscription's QoS) and without blocking the client loop.
6. Re-subscribing to the same filter replaces its QoS [MQTT-3.8.4-3]; amqtt kept the old.
7. The Will's retain flag is refreshed on reconnect (amqtt kept the first one).
8. A publish the ACL denies is not delivered, is counted
   (``adwatch_venue_acl_denied_total{action="publish"}``) and logged; the client gets
   its normal PUBACK, as MQTT 3.1.1 allows [MQTT-3.3.5-2] (closing the connection
   would make a misconfigured device resend forever). amqtt dropped it silently.
9. Messages a client published and had acknowledged are delivered even when the client
   disconnects right after. amqtt sends the PUBACK when the message enters the session's
   delivery queue, but stopped reading that queue at disconnect: a worker that
   published a burst and left lost the tail of it (until it reconnected, if ever).
10. The offline queue of an absent persistent session is bounded
   (``max_offline_messages``, default 10,000 per session): at the bound the oldest
   message is dropped, counted (``adwatch_venue_offline_dropped_total``) and logged.
   amqtt's queue grew without limit. Sessions absent longer than
   ``session_expiry_s`` (default 7 days) are removed (amqtt's session expiry).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import structlog
from amqtt.adapters import ReaderAdapter, WriterAdapter
from amqtt.broker import Broker, RetainedApplicationMessage, Server
from amqtt.contexts import Action, ListenerConfig
from amqtt.errors import AMQTTError, MQTTError, NoDataError
from amqtt.events import BrokerEvents
from amqtt.mqtt.connack import BAD_USERNAME_PASSWORD, NOT_AUTHORIZED, ConnackPacket
from amqtt.mqtt.constants import QOS_0, QOS_1, QOS_2
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.session import Session
from amqtt.utils import gen_client_id
from prometheus_client import Counter
from transitions import MachineError

from broker.venue.handler import VenueProtocolHandler

log = structlog.get_logger("adwatch.venue")
OFFLINE_DROPPED = Counter(
    "adwatch_venue_offline_dropped", "Oldest messages dropped from a full offline session queue"
)


class VenueAmqttBroker(Broker):  # type: ignore[misc]
    keepalive_factor: float = 1.5
    max_offline_messages: int = 10_000
    offline_dropped: int = 0

    # ------------------------------------------------------------ connect (1, 7)

    async def _initialize_client_session(
        self, reader: ReaderAdapter, writer: WriterAdapter, remote_address: str, remote_port: int
    ) -> tuple[BrokerProtocolHandler, Session]:
        try:
            handler, incoming = await VenueProtocolHandler.init_from_connect(
                reader, writer, self.plugins_manager
            )
        except (AMQTTError, NoDataError) as exc:
            raise AMQTTError(exc) from exc
        except MQTTError:
            await writer.close()
            raise
        refusal = await self._refusal(incoming)
        if refusal is not None:
            await ConnackPacket.build(0, refusal).to_stream(writer)
            await writer.close()
            raise MQTTError(f"CONNECT of {incoming.client_id!r} refused ({refusal})")
        session = await self._attach_session(incoming)
        if session.keep_alive > 0:
            session.keep_alive = math.ceil(session.keep_alive * self.keepalive_factor)
        return handler, session

    async def _refusal(self, incoming: Session) -> int | None:
        if not await self._authenticate(incoming, ListenerConfig()):
            return int(BAD_USERNAME_PASSWORD)
        if incoming.will_flag and incoming.will_topic is not None:
            allowed = await self._topic_filtering(incoming, incoming.will_topic, Action.PUBLISH)
            if not allowed:
                return int(NOT_AUTHORIZED)
        return None

    async def _attach_session(self, incoming: Session) -> Session:
        """amqtt's session resumption, run only after authentication."""
        existing = self._sessions.get(incoming.client_id or "")
        if incoming.clean_session:
            if not incoming.client_id:
                incoming.client_id = gen_client_id()
            elif existing is not None:
                if existing[0].transitions.is_connected():  # take-over [MQTT-3.1.4-2]
                    await existing[1].handle_connection_closed()
                    await existing[1].stop()
                await self._delete_session(incoming.client_id)
            incoming.parent = 0
            return incoming
        if existing is None:
            incoming.parent = 0
            return incoming
        session = existing[0]
        for name in (
            "will_flag",
            "will_message",
            "will_topic",
            "will_qos",
            "will_retain",
            "keep_alive",
            "username",
            "password",
        ):
            setattr(session, name, getattr(incoming, name))
        session.parent = 1
        return session

    async def _handle_client_session(
        self,
        reader: ReaderAdapter,
        writer: WriterAdapter,
        client_session: Session,
        handler: BrokerProtocolHandler,
        server: Server,
        listener_name: str,
    ) -> None:
        # Same as amqtt's, minus the broker-wide retained re-send on reconnect (2).
        assert client_session.client_id is not None
        while True:
            try:
                client_session.transitions.connect()
                break
            except (MachineError, ValueError):
                if client_session.transitions.is_connected():
                    old = self._sessions[client_session.client_id]
                    await old[1].handle_connection_closed()
                    await old[1].stop()
                    break
                await asyncio.sleep(0.1)
        handler.attach(client_session, reader, writer)
        self._sessions[client_session.client_id] = (client_session, handler)
        await handler.mqtt_connack_authorize(True)
        await self.plugins_manager.fire_event(
            BrokerEvents.CLIENT_CONNECTED,
            client_id=client_session.client_id,
            client_session=client_session,
        )
        await handler.start()
        await self._publish_session_retained_messages(client_session)
        try:
            await self._client_message_loop(client_session, handler)
        finally:
            await self._flush_delivered(client_session)

    # ------------------------------------------------------------ delivery (3, 4, 8)

    async def _handle_message_delivery(
        self, client_session: Session, handler: BrokerProtocolHandler, wait_deliver: Any
    ) -> bool:
        return await self._deliver(client_session, wait_deliver.result())

    async def _deliver(self, client_session: Session, message: Any) -> bool:
        await self.plugins_manager.fire_event(
            BrokerEvents.MESSAGE_RECEIVED, client_id=client_session.client_id, message=message
        )
        if message is None:
            return True
        topic = message.topic
        if not topic or "#" in topic or "+" in topic or topic.startswith("$"):
            return False  # protocol violations [MQTT-4.7.3-1, 3.3.2-2, 4.7.2-1]
        if not await self._topic_filtering(client_session, topic=topic, action=Action.PUBLISH):
            return True  # counted and logged by the ACL plugin (8)
        await self.plugins_manager.fire_event(
            BrokerEvents.MESSAGE_BROADCAST, client_id=client_session.client_id, message=message
        )
        await self._broadcast_message(client_session, topic, message.data, message.qos)
        if message.publish_packet and message.publish_packet.retain_flag:
            await self.retain_message(client_session, topic, message.data, message.qos)
        return True

    async def _flush_delivered(self, session: Session) -> None:
        """Deliver what the client published (and got PUBACK/PUBCOMP for) before it left (9)."""
        pending = session.delivered_message_queue
        while not pending.empty():
            await self._deliver(session, pending.get_nowait())

    async def _run_broadcast(self, running_tasks: Any) -> None:
        broadcast = await self._broadcast_queue.get()
        topic: str = broadcast["topic"]
        pub_qos: int | None = broadcast.get("qos")
        best: dict[str, tuple[Session, int]] = {}
        for topic_filter, subscriptions in self._subscriptions.items():
            if not self._matches(topic, topic_filter):
                continue
            for session, sub_qos in subscriptions:
                qos = sub_qos if pub_qos is None else min(pub_qos, sub_qos)
                key = session.client_id or ""
                if key not in best or best[key][1] < qos:
                    best[key] = (session, qos)
        for session, qos in best.values():
            if not await self._topic_filtering(session, topic=topic, action=Action.RECEIVE):
                continue
            if session.transitions.state != "connected":
                if not session.clean_session and qos in (QOS_1, QOS_2):
                    self._bound_offline_queue(session)
                    await self._retain_broadcast_message(broadcast, qos, session)
                continue
            handler = self._get_handler(session)
            if handler is not None:
                running_tasks.append(
                    asyncio.ensure_future(
                        handler.mqtt_publish(topic, broadcast["data"], qos, retain=False)
                    )
                )

    def _bound_offline_queue(self, session: Session) -> None:
        """Drop the oldest queued message of an absent session at the bound (10); counted."""
        queued = session.retained_messages
        while queued.qsize() >= self.max_offline_messages:
            queued.get_nowait()
            self.offline_dropped += 1
            OFFLINE_DROPPED.inc()
            log.warning(
                "venue_offline_queue_full",
                client_id=session.client_id,
                bound=self.max_offline_messages,
            )

    async def _publish_session_retained_messages(self, session: Session) -> None:
        handler = self._get_handler(session)
        if handler is None:
            return
        while not session.retained_messages.empty():
            queued = session.retained_messages.get_nowait()
            self._tasks_queue.append(
                asyncio.ensure_future(
                    handler.mqtt_publish(queued.topic, queued.data, queued.qos, retain=False)
                )
            )

    # ------------------------------------------------------------ subscriptions (5, 6)

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Session
    ) -> None:
        topic_filter, sub_qos = subscription
        handler = self._get_handler(session)
        if handler is None:
            return
        retained: list[RetainedApplicationMessage] = [
            m for t, m in self._retained_messages.items() if self._matches(t, topic_filter)
        ]
        for message in retained:
            qos = min(sub_qos, message.qos if message.qos is not None else QOS_0)
            self._tasks_queue.append(
                asyncio.ensure_future(
                    handler.mqtt_publish(message.topic, message.data, qos, retain=True)
                )
            )

    async def add_subscription(self, subscription: tuple[str, int], session: Session) -> int:
        topic_filter, _qos = subscription
        code = await super().add_subscription(subscription, session)
        if code != 0x80:
            entries = self._subscriptions.get(topic_filter, [])
            for index, (existing, _old) in enumerate(entries):
                if existing.client_id == session.client_id:
                    entries[index] = (session, code)
        return int(code)

    def create_offline_session(self, client_id: str) -> tuple[BrokerProtocolHandler, Session]:
        session = Session()
        session.client_id = client_id
        handler = VenueProtocolHandler(self.plugins_manager, session)
        session.transitions.disconnect()
        return handler, session

    def bound_port(self, listener: str = "default") -> int:
        """The TCP port a listener is bound to (useful with port 0)."""
        server = self._servers[listener].instance
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1])
