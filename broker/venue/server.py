"""``VenueBroker``: the embedded amqtt broker as an ``async with`` lifecycle.

async with VenueBroker(settings) as broker:
    print(broker.port)            # bound port (settings.port may be 0)
    broker.guard.denied           # ACL refusals by kind; broker.guard.auth_failed
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self

import structlog
from amqtt.errors import AMQTTError

from broker.errors import BrokerError, ConfigError
from broker.venue.acl import AclPolicy
from broker.venue.fixes import VenueAmqttBroker
from broker.venue.guard import VenueGuard
from broker.venue.passwords import load_password_file
from broker.venue.settings import VenueSettings

log = structlog.get_logger("adwatch.venue")

DEV_WARNING = (
    "adwatch venue broker in --dev mode: anonymous access, no ACL, loopback only. "
    "NOT FOR PRODUCTION."
)


def amqtt_config(settings: VenueSettings, guard: VenueGuard) -> dict[str, Any]:
    """The amqtt ``BrokerConfig`` dict for ``settings`` (pure)."""
    host = "127.0.0.1" if settings.dev else settings.host
    listeners: dict[str, Any] = {"default": {"type": "tcp", "bind": f"{host}:{settings.port}"}}
    tls = settings.tls
    if tls is not None:
        secure: dict[str, Any] = {
            "type": "tcp",
            "bind": f"{host}:{tls.port}",
            "ssl": True,
            "certfile": tls.certfile,
            "keyfile": tls.keyfile,
        }
        if tls.cafile:
            secure["cafile"] = tls.cafile
        if tls.plain:
            listeners["tls"] = secure
        else:
            listeners = {"default": secure}
    plugin = {"guard": guard}
    return {
        "listeners": listeners,
        "session_expiry_interval": settings.session_expiry_s,
        "plugins": {
            "broker.venue.plugins.DeviceAuthPlugin": plugin,
            "broker.venue.plugins.TopicAclPlugin": plugin,
        },
    }


class VenueBroker:
    def __init__(self, settings: VenueSettings) -> None:
        self.settings = settings
        users = {} if settings.password_file is None else load_password_file(settings.password_file)
        policy = AclPolicy(settings.tenant, settings.location, frozenset(settings.bridge_users))
        self.guard = VenueGuard(policy, users, dev=settings.dev)
        self._broker: VenueAmqttBroker | None = None

    @property
    def port(self) -> int:
        if self._broker is None:
            raise BrokerError("venue broker is not running")
        return self._broker.bound_port("default")

    @property
    def offline_dropped(self) -> int:
        """Messages dropped from full offline session queues since start."""
        return 0 if self._broker is None else self._broker.offline_dropped

    @property
    def tls_port(self) -> int | None:
        if self._broker is None or self.settings.tls is None or not self.settings.tls.plain:
            return None
        return self._broker.bound_port("tls")

    async def __aenter__(self) -> Self:
        if self.settings.dev:
            log.warning("venue_dev_mode", warning=DEV_WARNING)
        # amqtt logs every packet at INFO through the stdlib; keep it quiet by default.
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        try:
            broker = VenueAmqttBroker(amqtt_config(self.settings, self.guard))
            broker.keepalive_factor = self.settings.keepalive_factor
            broker.max_offline_messages = self.settings.max_offline_messages
            await broker.start()
        except (AMQTTError, OSError, ValueError) as exc:
            raise ConfigError(f"venue broker cannot start: {exc}") from exc
        self._broker = broker
        log.info(
            "venue_broker_started",
            port=self.port,
            tenant=self.settings.tenant,
            location=self.settings.location,
            dev=self.settings.dev,
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await broker.shutdown()
            log.info("venue_broker_stopped")
