"""A device-fleet simulator (``adwatch-edge simulate``): schema-valid uplink traffic.

Each simulated device first says it is online (retained status), then reports health,
telemetry periods and ad breaks (a started/ended pair per break) at a paced overall rate,
all QoS 1. The benchmarks and the cloud ingest tests drive the pipeline with it.
"""
