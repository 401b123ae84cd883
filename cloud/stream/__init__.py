"""Faust stream processors (``adwatch-cloud stream worker``): Kafka ingest topics -> storage.

One agent per uplink kind (status, health, telemetry, ad events, OTA state, command
results) takes batches with ``stream.noack_take(n, within=...)``, writes each batch in one
database transaction (``cloud.db.sink``, idempotent on ``(message_id, time)``), updates the
hot state in Redis (``cloud.state``) and only then acknowledges the batch's events, so Faust
commits their offsets only after the database commit. A crash before that means
redelivery; the database stores a redelivered row once.
"""
