"""The edge worker: capture -> detect -> act on the TV -> publish (events, health, telemetry).

Modules: :mod:`config` (typed TOML + env tree), :mod:`capture` (OpenCV sources with
reconnect), :mod:`pipeline` (capture + detection thread), :mod:`link` (paho-mqtt session fed
by the durable outbox), :mod:`acting` (break policy executor), :mod:`reports` (health and
telemetry), :mod:`downlink` (desired config, commands), :mod:`app` (lifecycle, SIGTERM).
"""
