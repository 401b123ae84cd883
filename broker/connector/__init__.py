"""The cloud MQTT -> Kafka connector (``adwatch-broker connector``).

N instances share one MQTT 5 shared subscription (``$share/ingest/adwatch/v1/...``) and
split the uplink traffic. Each message is validated against ``schemas``; valid ones are
produced to their Kafka topic keyed by device id (acks=all, idempotent producer),
malformed ones to the dead-letter topic. The MQTT PUBACK is sent only after Kafka
acknowledged the record, so a crash anywhere before that means redelivery, never loss.

Back-pressure: at most ``receive_maximum`` messages per instance are un-acknowledged; when
Kafka is slow or down the connector stops acknowledging and the broker keeps the backlog in
the instances' persistent sessions (``clean_start=False``, ``session_expiry_s``; restart a
crashed instance with the same ``client_id`` to get its un-acknowledged messages back).
The broker must be able to hold that backlog: Mosquitto's default
``max_queued_messages 1000`` per session silently drops QoS 1 messages beyond it, so a
cloud broker feeding connectors needs e.g. ``max_queued_messages 1000000`` (bounded by
memory, ``max_queued_bytes``) sized for the longest Kafka outage to ride out.
"""
