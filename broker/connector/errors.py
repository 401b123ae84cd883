"""The connector's error root (a branch of ``broker.errors``' tree, kept local)."""

from __future__ import annotations


class ConnectorError(Exception):
    """Root of every error the connector raises."""


class ConnectorConfigError(ConnectorError):
    """A settings file or value that cannot be used."""


class MqttConnectError(ConnectorError):
    """The MQTT session could not be established."""
