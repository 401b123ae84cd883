"""Advertise the venue broker over mDNS while this node leads the venue."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from types import TracebackType
from typing import Self

import structlog

from edge.discovery.errors import AdvertError
from edge.discovery.model import (
    RECORD_TTL_S,
    SERVICE_TYPE,
    BrokerEndpoint,
    advert_properties,
    instance_name,
    server_name,
)

log = structlog.get_logger(__name__)


def zeroconf_interfaces(interfaces: Sequence[str] | None) -> object:
    """What to hand zeroconf: the given addresses, or every interface."""
    from zeroconf import InterfaceChoice

    return list(interfaces) if interfaces else InterfaceChoice.All


class BrokerAdvert:
    """``async with BrokerAdvert(...)``: the broker is advertised inside the block.

    Registers ``_adwatch-mqtt._tcp.local.`` with TXT fields tenant, location,
    term (the Raft term of the leadership) and version. Leaving the block sends
    the mDNS goodbye so browsers drop the advert at once.
    """

    def __init__(
        self,
        tenant: str,
        location: str,
        host: str,
        port: int,
        term: int,
        version: str,
        *,
        interfaces: Sequence[str] | None = None,
        node: str | None = None,
    ) -> None:
        self._node = node or socket.gethostname()
        self._interfaces = list(interfaces) if interfaces else None
        self.endpoint = BrokerEndpoint(
            host=host,
            port=port,
            term=term,
            tenant=tenant,
            location=location,
            version=version,
            name=instance_name(tenant, location, self._node, term),
        )
        self._aiozc: object | None = None
        self._info: object | None = None

    async def __aenter__(self) -> Self:
        from zeroconf import Error as ZeroconfError
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

        ep = self.endpoint
        info = AsyncServiceInfo(
            SERVICE_TYPE,
            ep.name,
            port=ep.port,
            properties=advert_properties(ep.tenant, ep.location, ep.term, ep.version),
            server=server_name(self._node, ep.port),
            parsed_addresses=[ep.host],
            host_ttl=RECORD_TTL_S,
            other_ttl=RECORD_TTL_S,
        )
        try:
            aiozc = AsyncZeroconf(interfaces=zeroconf_interfaces(self._interfaces))  # type: ignore[arg-type]
        except OSError as exc:
            raise AdvertError(f"cannot open mDNS sockets on {self._interfaces}: {exc}") from exc
        try:
            # No probing (it costs ~1.7 s of every failover): the name holds the node
            # id and the Raft term, so it is unique by construction within a venue.
            announced = await aiozc.async_register_service(info, cooperating_responders=True)
            await announced
        except (ZeroconfError, OSError) as exc:
            await aiozc.async_close()
            raise AdvertError(f"cannot register {ep.name}: {exc}") from exc
        self._aiozc, self._info = aiozc, info
        log.info("mdns_advert_up", name=info.name, host=ep.host, port=ep.port, term=ep.term)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

        aiozc, info = self._aiozc, self._info
        self._aiozc = self._info = None
        if not isinstance(aiozc, AsyncZeroconf) or not isinstance(info, AsyncServiceInfo):
            return
        try:
            goodbye = await aiozc.async_unregister_service(info)
            await goodbye
        finally:
            await aiozc.async_close()
        log.info("mdns_advert_down", name=info.name, term=self.endpoint.term)
