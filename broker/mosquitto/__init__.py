"""Mosquitto config generation equivalent to the venue broker (``broker.mosquitto.config``)."""
