"""The connector's run loop: MQTT intake -> route -> Kafka -> MQTT acknowledgement."""

from __future__ import annotations

import asyncio

import structlog

from broker.connector import kafka
from broker.connector.config import ConnectorSettings
from broker.connector.intake import MqttIntake, Uplink
from broker.connector.metrics import DEAD_LETTERS, IN_FLIGHT, PRODUCED, RECEIVED
from broker.connector.route import route

log = structlog.get_logger("adwatch.connector")

Pending = tuple[Uplink, kafka.Delivery]


class Connector:
    """One connector instance. ``run`` returns when ``stop`` is set."""

    def __init__(self, settings: ConnectorSettings) -> None:
        self._settings = settings
        # Bounded by the intake's slots (each entry holds one), hence no maxsize here.
        self._pending: asyncio.Queue[Pending] = asyncio.Queue()
        self._received = self._acked = self._dead = 0

    async def run(self, stop: asyncio.Event) -> None:
        s = self._settings
        await kafka.start_with_retry(lambda: kafka.ensure_topics(s.kafka), "admin")
        out = kafka.KafkaOut(s.kafka)
        await out.start()
        intake = MqttIntake(s.mqtt, asyncio.get_running_loop())
        intake.start()
        try:
            await intake.wait_connected(within_s=30)
            log.info(
                "connector.started",
                client_id=s.mqtt.client_id,
                kafka=s.kafka.bootstrap,
                prefix=s.kafka.topic_prefix,
            )
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(self._produce_loop(intake, out)),
                    group.create_task(self._ack_loop(intake, out)),
                    group.create_task(self._report_loop()),
                ]
                await stop.wait()
                # Un-acknowledged messages stay in our persistent MQTT session.
                intake.stop()
                for task in tasks:
                    task.cancel()
        finally:
            intake.stop()
            await out.stop()
            log.info("connector.stopped", client_id=s.mqtt.client_id)

    async def _report_loop(self, every_s: float = 10.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            log.info(
                "connector.progress",
                client_id=self._settings.mqtt.client_id,
                received=self._received,
                acked=self._acked,
                dead=self._dead,
                pending=self._pending.qsize(),
            )

    async def _produce_loop(self, intake: MqttIntake, out: kafka.KafkaOut) -> None:
        prefix = self._settings.kafka.topic_prefix
        max_raw = self._settings.max_dead_letter_raw
        received = RECEIVED.labels(self._settings.mqtt.client_id)
        while True:
            uplink = await intake.queue.get()
            received.inc()
            self._received += 1
            IN_FLIGHT.inc()
            routed = route(
                uplink.topic, uplink.payload, uplink.received_at, prefix=prefix, max_raw=max_raw
            )
            if routed.dead:
                log.warning("connector.dead_letter", topic=uplink.topic[:256], reason=routed.reason)
            await self._pending.put((uplink, await out.send(routed)))

    async def _ack_loop(self, intake: MqttIntake, out: kafka.KafkaOut) -> None:
        """Acknowledge in arrival order, each only once Kafka has it."""
        while True:
            uplink, delivery = await self._pending.get()
            await out.delivered(delivery)
            routed = delivery.routed
            intake.done(uplink)
            self._acked += 1
            IN_FLIGHT.dec()
            if routed.dead:
                self._dead += 1
                DEAD_LETTERS.labels(routed.reason).inc()
            else:
                PRODUCED.labels(routed.kind.value if routed.kind else "").inc()
