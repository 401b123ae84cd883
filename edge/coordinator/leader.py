"""Leadership → services: what to do on each watchdog tick, and the leader's run.

:func:`next_action` is the pure decision; :func:`serve_as_leader` opens the
services (broker → bridge → advert) and keeps them until cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Literal

import msgspec
import structlog

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.raft import RaftView
from edge.coordinator.services import LeaderService
from edge.discovery import BrokerAdvert

log = structlog.get_logger(__name__)
Action = Literal["start", "stop", "restart", "keep"]


class Serving(msgspec.Struct, frozen=True, kw_only=True):
    """The leadership this node is serving: its term and broker endpoint."""

    term: int
    since: datetime
    host: str
    port: int


def next_action(serving_term: int | None, view: RaftView) -> Action:
    """Start when we lead and serve nothing, stop when we serve but no longer
    lead, restart when we lead in a newer term than the one we serve (a
    step-down and re-election between two ticks)."""
    if view.is_leader:
        if serving_term is None:
            return "start"
        return "keep" if serving_term == view.term else "restart"
    return "keep" if serving_term is None else "stop"


async def serve_as_leader(
    cfg: CoordinatorConfig,
    term: int,
    broker: LeaderService,
    bridge: LeaderService,
    on_up: Callable[[], None],
) -> None:
    """Run broker, bridge and advert for ``term`` until cancelled."""
    disc = cfg.discovery
    async with contextlib.AsyncExitStack() as stack:
        log.info("leader_services_starting", term=term, port=cfg.broker.port)
        await stack.enter_async_context(broker.session())
        await stack.enter_async_context(bridge.session())
        await stack.enter_async_context(
            BrokerAdvert(
                cfg.node.tenant,
                cfg.node.location,
                disc.advertise_host,
                cfg.broker.port,
                term,
                disc.version,
                interfaces=list(disc.interfaces) or None,
                node=cfg.node.id,
            )
        )
        log.info("leader_services_up", term=term)
        on_up()
        try:
            await asyncio.Event().wait()
        finally:
            log.info("leader_services_stopping", term=term)
