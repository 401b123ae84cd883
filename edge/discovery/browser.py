"""Find the venue broker: browse mDNS adverts and follow the newest leader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any, Self

import structlog

from edge.discovery.advert import zeroconf_interfaces
from edge.discovery.errors import DiscoveryError, NoBrokerFound
from edge.discovery.model import SERVICE_TYPE, BrokerEndpoint, matches, parse_advert, pick_leader

log = structlog.get_logger(__name__)
_RESOLVE_TIMEOUT_MS = 3000


class BrokerBrowser:
    """``async with BrokerBrowser(tenant, location) as b``: the venue's broker adverts.

    ``await b.current(timeout)`` returns the advert with the highest Raft term;
    ``async for ep in b.changes()`` yields each time that choice changes, so a
    worker follows a failover without being restarted. Adverts of other venues
    are ignored. Browser callbacks run on the event loop (zeroconf's asyncio API).
    """

    def __init__(
        self, tenant: str, location: str, *, interfaces: Sequence[str] | None = None
    ) -> None:
        self._tenant, self._location = tenant, location
        self._interfaces = list(interfaces) if interfaces else None
        self._seen: dict[str, BrokerEndpoint] = {}
        self._changed = asyncio.Condition()
        self._version = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._aiozc: Any = None
        self._browser: Any = None

    async def __aenter__(self) -> Self:
        from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf

        try:
            self._aiozc = AsyncZeroconf(interfaces=zeroconf_interfaces(self._interfaces))  # type: ignore[arg-type]
        except OSError as exc:
            raise DiscoveryError(f"cannot open mDNS sockets on {self._interfaces}: {exc}") from exc
        self._browser = AsyncServiceBrowser(
            self._aiozc.zeroconf, SERVICE_TYPE, handlers=[self._on_change]
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._browser is not None:
            await self._browser.async_cancel()
        if self._aiozc is not None:
            await self._aiozc.async_close()
        self._browser = self._aiozc = None

    # -- public API ---------------------------------------------------------

    def best(self) -> BrokerEndpoint | None:
        """The current choice right now, without waiting."""
        return pick_leader(self._seen.values())

    def endpoints(self) -> tuple[BrokerEndpoint, ...]:
        """Every matching advert currently known (for diagnostics)."""
        return tuple(self._seen.values())

    async def current(self, timeout: float = 10.0) -> BrokerEndpoint:  # noqa: ASYNC109 (API)
        """The advert with the highest term; waits up to ``timeout`` for one."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.best() is not None), timeout
                )
            except TimeoutError:
                raise NoBrokerFound(
                    f"no {SERVICE_TYPE} advert for {self._tenant}/{self._location} "
                    f"within {timeout:.1f}s"
                ) from None
            best = self.best()
            assert best is not None
            return best

    async def newer_than(self, term: int, timeout: float) -> BrokerEndpoint:  # noqa: ASYNC109
        """Wait for an advert with a term above ``term`` (after a failover)."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: _term(self.best()) > term), timeout
                )
            except TimeoutError:
                raise NoBrokerFound(f"no advert newer than term {term} within {timeout}s") from None
            best = self.best()
            assert best is not None
            return best

    async def changes(self) -> AsyncIterator[BrokerEndpoint]:
        """Yield the chosen endpoint now (once there is one) and after each change."""
        last: BrokerEndpoint | None = None
        while True:
            last = await self._next_change(last)
            yield last

    async def _next_change(self, last: BrokerEndpoint | None) -> BrokerEndpoint:
        async with self._changed:
            await self._changed.wait_for(lambda: self.best() not in (None, last))
            best = self.best()
        assert best is not None
        return best

    # -- zeroconf callbacks (on the event loop) -----------------------------

    def _on_change(self, **kwargs: Any) -> None:
        from zeroconf import ServiceStateChange

        name: str = kwargs["name"]
        if kwargs["state_change"] is ServiceStateChange.Removed:
            self._spawn(self._forget(name))
        else:
            self._spawn(self._resolve(name))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, name: str) -> None:
        from zeroconf.asyncio import AsyncServiceInfo

        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if not await info.async_request(self._aiozc.zeroconf, _RESOLVE_TIMEOUT_MS):
            log.warning("mdns_resolve_failed", name=name)
            return
        ep = parse_advert(name, info.decoded_properties, info.parsed_addresses(), info.port)
        if ep is None or not matches(ep, self._tenant, self._location):
            return
        async with self._changed:
            if self._seen.get(name) != ep:
                self._seen[name] = ep
                self._notify(f"seen {name} term={ep.term} at {ep.host}:{ep.port}")

    async def _forget(self, name: str) -> None:
        async with self._changed:
            if self._seen.pop(name, None) is not None:
                self._notify(f"gone {name}")

    def _notify(self, what: str) -> None:
        self._version += 1
        best = self.best()
        log.info("mdns_broker_change", change=what, best=best.name if best else None)
        self._changed.notify_all()


def _term(ep: BrokerEndpoint | None) -> int:
    return -1 if ep is None else ep.term
