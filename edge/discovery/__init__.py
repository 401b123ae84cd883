"""Venue broker discovery over mDNS/DNS-SD (zeroconf's asyncio API).

The coordinator that leads a venue advertises its broker::

    async with BrokerAdvert(tenant, location, host, port, term, version,
                            interfaces=["127.0.0.1"]):
        ...  # advertised while inside

Workers find it and follow failovers::

    async with BrokerBrowser(tenant, location, interfaces=["127.0.0.1"]) as b:
        ep = await b.current(timeout=10)        # BrokerEndpoint(host, port, term, ...)
        async for ep in b.changes():            # yields again after each failover
            ...

Service type ``_adwatch-mqtt._tcp.local.``; TXT fields ``tenant``, ``location``,
``term`` (Raft term of the leadership) and ``version``. The advert with the
highest term is the current leader's: a leader killed without a goodbye leaves
a stale record with a lower term until it expires.
"""

from __future__ import annotations

from edge.discovery.advert import BrokerAdvert
from edge.discovery.browser import BrokerBrowser
from edge.discovery.errors import AdvertError, DiscoveryError, NoBrokerFound
from edge.discovery.model import SERVICE_TYPE, BrokerEndpoint, pick_leader

__all__ = [
    "SERVICE_TYPE",
    "AdvertError",
    "BrokerAdvert",
    "BrokerBrowser",
    "BrokerEndpoint",
    "DiscoveryError",
    "NoBrokerFound",
    "pick_leader",
]
