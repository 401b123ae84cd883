"""The cloud MQTT -> Kafka connector (``adwatch-broker connector``).

N instances share one MQTT 5 shared subscription (``$share/ingest/adwatch/v1/...``) and
split the uplink traffic. Each message is validated against ``schemas``; valid ones are
produced to their Kafka topic keyed by device id (acks=all, idempotent producer),
malformed ones to the dead-letter topic. The MQTT PUBACK is sent only after Kafka
acknowledged the record, so a crash anywhere before that means redelivery, never loss.
"""
