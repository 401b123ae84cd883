"""Firmware publishing: store a release, sign its manifest, announce it (retained) over MQTT."""
