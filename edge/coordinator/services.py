"""What the leader runs: pluggable broker and bridge, picked by a ``type`` field.

A plugin is built from the coordinator config when the process starts (so a bad
broker or bridge config fails at start-up, not at the first failover) and
opens its service with ``session()``, an async context manager: the service
runs while the context is open. The leader opens them in the order broker →
bridge → mDNS advert (workers must not find a broker before the bridge
subscribes to it) and closes them in reverse.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import msgspec
import structlog

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.errors import ConfigError, ServiceError

log = structlog.get_logger(__name__)


class LeaderService(Protocol):
    def session(self) -> AbstractAsyncContextManager[object]: ...


ServiceFactory = Callable[[CoordinatorConfig], LeaderService]


def _convert(tree: dict[str, Any], type_: type[Any], what: str) -> Any:
    try:
        return msgspec.convert(tree, type_)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ConfigError(f"invalid {what} settings: {exc}") from exc


class VenueBrokerService:
    """The project's venue broker (``broker.venue``: amqtt + auth, ACL, fixes).
    ``[broker.settings]`` is its own settings tree; tenant, location, host and
    port come from the coordinator config."""

    def __init__(self, cfg: CoordinatorConfig) -> None:
        from broker.venue.settings import VenueSettings

        tree = {
            **cfg.broker.settings,
            "tenant": cfg.node.tenant,
            "location": cfg.node.location,
            "host": cfg.broker.host,
            "port": cfg.broker.port,
        }
        self.settings = _convert(tree, VenueSettings, "broker")

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[object]:
        from broker.errors import BrokerError
        from broker.venue.server import VenueBroker

        try:
            broker = VenueBroker(self.settings)
            await broker.__aenter__()
        except BrokerError as exc:
            raise ServiceError(f"venue broker did not start: {exc}") from exc
        try:
            yield broker
        finally:
            await broker.__aexit__(None, None, None)


class PlainAmqttService:
    """amqtt's own broker, anonymous, no ACL: for development and for tests of
    the coordinator alone (``broker.type = "amqtt"``); never for a real venue."""

    def __init__(self, cfg: CoordinatorConfig) -> None:
        self.bind = f"{cfg.broker.host}:{cfg.broker.port}"

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[object]:
        from amqtt.broker import Broker
        from amqtt.errors import AMQTTError

        logging.getLogger("amqtt").setLevel(logging.WARNING)
        config: dict[str, Any] = {
            "listeners": {"default": {"type": "tcp", "bind": self.bind}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        broker = Broker(config)
        try:
            await broker.start()
        except (AMQTTError, OSError) as exc:
            raise ServiceError(f"amqtt broker did not start on {self.bind}: {exc}") from exc
        try:
            yield broker
        finally:
            await broker.shutdown()


class VenueBridgeService:
    """The store-and-forward bridge to the cloud (``broker.bridge``)."""

    def __init__(self, cfg: CoordinatorConfig) -> None:
        from broker.bridge import BridgeSettings

        self.settings = _convert(dict(cfg.bridge.settings), BridgeSettings, "bridge")

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[object]:
        from broker.bridge import Bridge

        async with Bridge(self.settings) as bridge:
            yield bridge


class NoBridge:
    """No cloud link (an isolated venue, or tests of leadership alone)."""

    def __init__(self, cfg: CoordinatorConfig) -> None:
        pass

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[object]:
        yield None


BROKERS: dict[str, ServiceFactory] = {"venue": VenueBrokerService, "amqtt": PlainAmqttService}
BRIDGES: dict[str, ServiceFactory] = {"venue": VenueBridgeService, "none": NoBridge}


def build(registry: dict[str, ServiceFactory], kind: str, cfg: CoordinatorConfig) -> LeaderService:
    """The configured plugin; unknown names and bad settings fail here, at start-up."""
    name = cfg.broker.type if kind == "broker" else cfg.bridge.type
    return pick(registry, kind, name)(cfg)


def pick(registry: dict[str, ServiceFactory], kind: str, name: str) -> ServiceFactory:
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(sorted(registry))
        raise ConfigError(f"unknown {kind}.type {name!r}; known: {known}") from None
