"""Prometheus metrics of the connector (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RECEIVED = Counter("adwatch_connector_received_total", "MQTT messages received", ["client_id"])
PRODUCED = Counter(
    "adwatch_connector_produced_total", "Valid records acknowledged by Kafka", ["kind"]
)
DEAD_LETTERS = Counter(
    "adwatch_connector_dead_letters_total",
    "Malformed uplinks sent to the dead-letter topic",
    ["reason"],
)
SEND_RETRIES = Counter(
    "adwatch_connector_kafka_retries_total", "Kafka produce attempts that failed and were retried"
)
PRODUCER_RESETS = Counter(
    "adwatch_connector_producer_resets_total", "Kafka producers replaced after a failed delivery"
)
IN_FLIGHT = Gauge(
    "adwatch_connector_in_flight", "Messages received but not yet acknowledged to MQTT"
)
