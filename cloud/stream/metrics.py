"""Prometheus metrics of the stream worker."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECORDS = Counter("adwatch_stream_records_total", "Ingest records consumed", ["kind"])
INSERTED = Counter("adwatch_stream_inserted_total", "Rows newly stored", ["table"])
DUPLICATES = Counter(
    "adwatch_stream_duplicates_total", "Redelivered rows already stored", ["table"]
)
INVALID = Counter(
    "adwatch_stream_invalid_total", "Kafka values that are not ingest records", ["reason"]
)
REJECTED = Counter(
    "adwatch_stream_rejected_total", "Records the database refused (sent to dead letters)"
)
DEAD_LETTERS = Counter(
    "adwatch_stream_dead_letters_total", "Records seen on the dead-letter topic", ["reason"]
)
DB_RETRIES = Counter("adwatch_stream_db_retries_total", "Batch writes retried")
STATE_ERRORS = Counter("adwatch_stream_state_errors_total", "Redis updates that failed")
LAG = Gauge("adwatch_stream_consumer_lag", "Kafka end offset minus committed offset", ["topic"])
BATCH_SECONDS = Histogram(
    "adwatch_stream_batch_seconds",
    "Time to store one batch",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
