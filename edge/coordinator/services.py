"""What the leader runs: pluggable broker and bridge, picked by a ``type`` field.

A plugin is built from the coordinator config when the process starts (so a bad
broker or bridge config fails at start-up, not at the first failover) and
opens its service with ``session()``, an async context manager: the service
runs while the context is open. The leader opens them in the order broker →
bridge → mDNS advert (workers must not find a broker before the bridge
subscribes to it) and closes them in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

import msgspec
import structlog

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.errors import ConfigError, ServiceError

log = structlog.get_logger(__name__)
BRIDGE_READY_TIMEOUT_S = 10.0


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
    """The store-and-forward bridge to the cloud (``broker.bridge``).

    ``[bridge.settings]`` is its own settings tree; tenant and location come
    from ``[node]``, the local endpoint's host and port from ``[broker]`` (its
    credentials from ``[bridge.settings.local]``), and the spool defaults to
    ``{data_dir}/bridge-spool.sqlite``.
    """

    def __init__(self, cfg: CoordinatorConfig) -> None:
        from broker.bridge.settings import BridgeSettings

        tree = dict(cfg.bridge.settings)
        local_host = "127.0.0.1" if cfg.broker.host in ("0.0.0.0", "::", "") else cfg.broker.host
        tree["local"] = {"host": local_host, "port": cfg.broker.port, **tree.get("local", {})}
        tree.setdefault("spool_path", str(Path(cfg.node.data_dir) / "bridge-spool.sqlite"))
        tree |= {"tenant": cfg.node.tenant, "location": cfg.node.location}
        self.settings = _convert(tree, BridgeSettings, "bridge")

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[object]:
        from broker.bridge.core import Bridge
        from broker.errors import BrokerError

        try:
            bridge = Bridge(self.settings)
            await bridge.__aenter__()
        except BrokerError as exc:
            raise ServiceError(f"bridge did not start: {exc}") from exc
        try:
            await _bridge_subscribed(bridge, BRIDGE_READY_TIMEOUT_S)
            yield bridge
        finally:
            await bridge.__aexit__(None, None, None)


async def _bridge_subscribed(bridge: Any, timeout: float) -> None:  # noqa: ASYNC109
    """Wait until the bridge has subscribed to the venue broker's uplinks: amqtt
    drops a message that matches no subscription, after PUBACKing it, so the
    advert must not go up before. ``Bridge`` has no public readiness signal yet;
    until it does, use its ``_local_ready`` event (asked of the broker owners)."""
    ready = getattr(bridge, "wait_ready", None)
    waiter = ready() if callable(ready) else bridge._local_ready.wait()
    try:
        await asyncio.wait_for(waiter, timeout)
    except TimeoutError:
        raise ServiceError(f"bridge not subscribed to the venue broker after {timeout}s") from None


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
