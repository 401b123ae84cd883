"""Pure parts of discovery: the advert's TXT record, its parsing, and leader choice.

No sockets here; :mod:`edge.discovery.advert` and :mod:`edge.discovery.browser` do the I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import msgspec

SERVICE_TYPE = "_adwatch-mqtt._tcp.local."
# Short TTLs: a leader killed with SIGKILL sends no goodbye, so its record lingers
# in every cache until it expires. The highest term already wins, this only
# bounds how long a dead advert stays visible.
RECORD_TTL_S = 60
_LABEL = re.compile(r"[^a-z0-9-]+")
_MAX_LABEL = 63


class BrokerEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A venue broker advertised by the coordinator that leads the venue."""

    host: str
    port: int
    term: int
    tenant: str = ""
    location: str = ""
    version: str = ""
    name: str = ""  # the mDNS service instance name, unique per leader term


def advert_properties(tenant: str, location: str, term: int, version: str) -> dict[str, str]:
    """The TXT record of an advert."""
    return {"tenant": tenant, "location": location, "term": str(term), "version": version}


def label(text: str) -> str:
    """A DNS label made of ``text``: lower case, ``[a-z0-9-]``, at most 63 bytes."""
    cleaned = _LABEL.sub("-", text.lower()).strip("-")
    return (cleaned or "x")[:_MAX_LABEL].rstrip("-") or "x"


def instance_name(tenant: str, location: str, node: str, term: int) -> str:
    """The full service name. The term is part of it so a new leadership never
    collides with a lingering record of an older one (mDNS name probing)."""
    suffix = f"-t{term}"
    base = label(f"{tenant}-{location}-{node}")[: _MAX_LABEL - len(suffix)].rstrip("-")
    return f"{base}{suffix}.{SERVICE_TYPE}"


def server_name(node: str, port: int) -> str:
    """The SRV target host name for a node's broker."""
    return f"adwatch-{label(node)[:40]}-{port}.local."


def _text(props: Mapping[str, str | None], key: str) -> str:
    value = props.get(key)
    return value if value is not None else ""


def parse_advert(
    name: str, props: Mapping[str, str | None], addresses: Iterable[str], port: int | None
) -> BrokerEndpoint | None:
    """An endpoint from a resolved advert, or None when the advert is unusable
    (no address, no port, or a term that is not a non-negative integer)."""
    hosts = list(addresses)
    term_text = _text(props, "term")
    if not hosts or not port or not term_text.isdigit():
        return None
    return BrokerEndpoint(
        host=hosts[0],
        port=port,
        term=int(term_text),
        tenant=_text(props, "tenant"),
        location=_text(props, "location"),
        version=_text(props, "version"),
        name=name,
    )


def matches(endpoint: BrokerEndpoint, tenant: str, location: str) -> bool:
    return endpoint.tenant == tenant and endpoint.location == location


def pick_leader(endpoints: Iterable[BrokerEndpoint]) -> BrokerEndpoint | None:
    """The advert of the newest leadership: highest term wins; ties (two
    leaders cannot share a term in Raft, so only a misconfiguration) break
    on the name so every worker picks the same one."""
    best: BrokerEndpoint | None = None
    for ep in endpoints:
        if best is None or (ep.term, ep.name) > (best.term, best.name):
            best = ep
    return best
