"""Hot device state in Redis: latest health per device and the online set.

Written by the Faust ingest workers (``cloud.stream``), read by the API. Every key starts
with a configurable prefix (``StateSettings.prefix``, default ``adwatch:v1``; tests use a
unique prefix per run). ``P`` below is that prefix.

Key layout
----------
``P:health:{tenant}:{device}``  STRING, TTL ``health_ttl_s`` (default 300 s)
    JSON of :class:`cloud.state.model.LatestHealth` — ``tenant``, ``location``, ``device``,
    ``received_at`` (cloud receive time, UTC ISO-8601) and ``report`` (the full
    ``schemas.messages.HealthReport``, with its ``type`` tag). Overwritten by each newer
    report; disappears when a device stops reporting health.

``P:online:{tenant}``  ZSET, member ``{location}/{device}``, score = last-seen (Unix seconds)
``P:online``           ZSET, member ``{tenant}/{location}/{device}``, same score
    Last-seen is the cloud receive time of the device's latest uplink of any kind (the
    device clock is not trusted for liveness). A device is **online** iff its score is
    ``>= now - online_ttl_s`` (default 90 s, three health intervals); read with
    ``ZRANGEBYSCORE key (now - online_ttl_s) +inf`` — stale members are trimmed by readers
    (``ZREMRANGEBYSCORE key -inf (now - online_ttl_s)``) and the whole key expires after
    ``online_ttl_s`` without writes. Scores only move forward (``ZADD GT``), so a
    redelivered older record never makes a device look fresher than it is.

``P:offline``  ZSET, member ``{tenant}/{device}``, score = receive time of its latest
    ``status`` message with ``state = "offline"`` (the Last Will), TTL ``online_ttl_s``.
    Such a status removes the device from both online sets, and an uplink only puts it
    back if it was received after that offline status (topics are consumed by separate
    agents, so an older health record may be processed after the Last Will).

Use :class:`cloud.state.store.HotState` (``redis.asyncio``) rather than these keys directly
where possible; :mod:`cloud.state.keys` builds every key name.
"""
