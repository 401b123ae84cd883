"""Shared test helpers: free ports, a private Mosquitto, the local stack's settings."""
