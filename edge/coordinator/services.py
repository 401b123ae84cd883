"""What the leader runs: pluggable broker and bridge, picked by a ``type`` field.

Each plugin is a factory from the coordinator config to an async context
manager; the service runs while the context is open. The leader opens them in
the order broker → bridge → mDNS advert (workers must not find a broker
before the bridge subscribes to it) and closes them in reverse.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import msgspec
import structlog

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.errors import ConfigError, ServiceError

log = structlog.get_logger(__name__)
ServiceFactory = Callable[[CoordinatorConfig], AbstractAsyncContextManager[object]]


@contextlib.asynccontextmanager
async def venue_broker(cfg: CoordinatorConfig) -> AsyncIterator[object]:
    """The project's venue broker (``broker.venue``: amqtt with auth, ACL, fixes)."""
    from broker.venue import VenueBroker, VenueBrokerSettings

    tree = {**cfg.broker.settings, "host": cfg.broker.host, "port": cfg.broker.port}
    settings = msgspec.convert(tree, VenueBrokerSettings)
    async with VenueBroker(settings) as running:
        yield running


@contextlib.asynccontextmanager
async def plain_amqtt_broker(cfg: CoordinatorConfig) -> AsyncIterator[object]:
    """amqtt's own broker, anonymous, no ACL: for development and for tests of
    the coordinator alone. ``broker.type = "amqtt"``; never for a real venue."""
    from amqtt.broker import Broker
    from amqtt.errors import BrokerError

    logging.getLogger("amqtt").setLevel(logging.WARNING)
    config: dict[str, Any] = {
        "listeners": {"default": {"type": "tcp", "bind": f"{cfg.broker.host}:{cfg.broker.port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }
    broker = Broker(config)
    try:
        await broker.start()
    except (BrokerError, OSError) as exc:
        raise ServiceError(f"amqtt broker did not start on port {cfg.broker.port}: {exc}") from exc
    try:
        yield broker
    finally:
        await broker.shutdown()


@contextlib.asynccontextmanager
async def venue_bridge(cfg: CoordinatorConfig) -> AsyncIterator[object]:
    """The store-and-forward bridge to the cloud (``broker.bridge``)."""
    from broker.bridge import Bridge, BridgeSettings

    settings = msgspec.convert(cfg.bridge.settings, BridgeSettings)
    async with Bridge(settings) as running:
        yield running


@contextlib.asynccontextmanager
async def no_bridge(cfg: CoordinatorConfig) -> AsyncIterator[object]:
    """No cloud link (an isolated venue, or tests of leadership alone)."""
    yield None


BROKERS: dict[str, ServiceFactory] = {"venue": venue_broker, "amqtt": plain_amqtt_broker}
BRIDGES: dict[str, ServiceFactory] = {"venue": venue_bridge, "none": no_bridge}


def pick(registry: dict[str, ServiceFactory], kind: str, name: str) -> ServiceFactory:
    """The factory for ``name``; unknown names fail at start-up, not at failover."""
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(sorted(registry))
        raise ConfigError(f"unknown {kind}.type {name!r}; known: {known}") from None
