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
from typing import Any, Protocol, TypeVar

import msgspec
import structlog

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.errors import ConfigError, ServiceError

log = structlog.get_logger(__name__)
BRIDGE_READY_TIMEOUT_S = 10.0
F = TypeVar("F")


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


class BridgeService(Protocol):
    """A bridge plugin: besides its session it can say how much it still holds
    on disk, and wait for that to reach the cloud."""

    def session(self, *, wait_local: bool = True) -> AbstractAsyncContextManager[object]: ...

    def pending(self) -> int: ...

    async def drain(self, running: object, timeout: float) -> int: ...  # noqa: ASYNC109


class VenueBridgeService:
    """The store-and-forward bridge to the cloud (``broker.bridge``).

    ``[bridge.settings]`` is its own settings tree; tenant and location come
    from ``[node]``, the local endpoint's host and port from ``[broker]`` (its
    credentials from ``[bridge.settings.local]``), and the spool defaults to
    ``{data_dir}/bridge-spool.sqlite``. The MQTT client id defaults to one per
    node: a node that steps down, or restarts after a crash, drains what its
    spool still holds while the new leader's bridge runs, and two bridges with
    one client id would keep taking each other's cloud session over.
    """

    def __init__(self, cfg: CoordinatorConfig) -> None:
        from broker.bridge.settings import BridgeSettings

        node = cfg.node
        tree = dict(cfg.bridge.settings)
        local_host = "127.0.0.1" if cfg.broker.host in ("0.0.0.0", "::", "") else cfg.broker.host
        tree["local"] = {"host": local_host, "port": cfg.broker.port, **tree.get("local", {})}
        tree.setdefault("spool_path", str(Path(node.data_dir) / "bridge-spool.sqlite"))
        tree.setdefault("client_id", f"adwatch-bridge-{node.tenant}-{node.location}-{node.id}")
        tree |= {"tenant": node.tenant, "location": node.location}
        self.settings = _convert(tree, BridgeSettings, "bridge")

    @contextlib.asynccontextmanager
    async def session(self, *, wait_local: bool = True) -> AsyncIterator[object]:
        from broker.bridge.core import Bridge
        from broker.errors import BrokerError

        try:
            bridge = Bridge(self.settings)
            await bridge.__aenter__()
        except BrokerError as exc:
            raise ServiceError(f"bridge did not start: {exc}") from exc
        try:
            if wait_local:
                await _bridge_subscribed(bridge, BRIDGE_READY_TIMEOUT_S)
            yield bridge
        finally:
            await bridge.__aexit__(None, None, None)

    def pending(self) -> int:
        """Messages left in the spool file (0 when there is none). Blocking: call
        it in a thread."""
        from broker.errors import BrokerError
        from broker.spool import Spool

        path = Path(self.settings.spool_path)
        if not path.exists():
            return 0
        try:
            with Spool(path, max_bytes=self.settings.spool_max_bytes) as spool:
                return int(spool.depth)
        except BrokerError as exc:
            raise ServiceError(f"cannot read the bridge spool {path}: {exc}") from exc

    async def drain(self, running: object, timeout: float) -> int:  # noqa: ASYNC109
        """Wait until the running bridge's spool is empty; returns what is left."""
        spool = getattr(running, "spool", None)
        deadline = asyncio.get_running_loop().time() + timeout
        while spool is not None and spool.depth > 0:
            if asyncio.get_running_loop().time() >= deadline:
                return int(spool.depth)
            await asyncio.sleep(0.1)
        return 0


async def _bridge_subscribed(bridge: Any, timeout: float) -> None:  # noqa: ASYNC109
    """Wait until the bridge has subscribed to the venue broker's uplinks: amqtt
    drops a message that matches no subscription, after PUBACKing it, so the
    advert must not go up before."""
    try:
        await asyncio.wait_for(bridge.wait_ready(), timeout)
    except TimeoutError:
        raise ServiceError(f"bridge not subscribed to the venue broker after {timeout}s") from None


class NoBridge:
    """No cloud link (an isolated venue, or tests of leadership alone)."""

    def __init__(self, cfg: CoordinatorConfig) -> None:
        pass

    @contextlib.asynccontextmanager
    async def session(self, *, wait_local: bool = True) -> AsyncIterator[object]:
        yield None

    def pending(self) -> int:
        return 0

    async def drain(self, running: object, timeout: float) -> int:  # noqa: ASYNC109
        return 0


BridgeFactory = Callable[[CoordinatorConfig], BridgeService]
BROKERS: dict[str, ServiceFactory] = {"venue": VenueBrokerService, "amqtt": PlainAmqttService}
BRIDGES: dict[str, BridgeFactory] = {"venue": VenueBridgeService, "none": NoBridge}


def build_broker(cfg: CoordinatorConfig) -> LeaderService:
    """The configured broker; unknown names and bad settings fail here, at start-up."""
    return pick(BROKERS, "broker", cfg.broker.type)(cfg)


def build_bridge(cfg: CoordinatorConfig) -> BridgeService:
    return pick(BRIDGES, "bridge", cfg.bridge.type)(cfg)


def pick(registry: dict[str, F], kind: str, name: str) -> F:
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(sorted(registry))
        raise ConfigError(f"unknown {kind}.type {name!r}; known: {known}") from None
