"""Leadership → services: what to do on each watchdog tick, and the leader's run.

:func:`next_action` is the pure decision; :func:`serve_as_leader` opens the
services (broker → bridge → advert) and keeps them until cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Literal

import msgspec
import structlog

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.raft import RaftView
from edge.coordinator.services import BridgeService, LeaderService
from edge.discovery import BrokerAdvert

log = structlog.get_logger(__name__)
Action = Literal["start", "stop", "restart", "keep"]
DRAIN_ON_STEP_DOWN_S = 15.0


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
    bridge: BridgeService,
    feeder: LeaderService,
    on_up: Callable[[], None],
) -> None:
    """Run broker, bridge, registry feeder and advert for ``term`` until cancelled.

    Up: broker → bridge (subscribed) → feeder → advert. Down: advert → broker (workers
    leave for the new leader) → bridge, after it forwarded what its spool holds
    (up to ``DRAIN_ON_STEP_DOWN_S``; the rest stays on disk for the next start).
    """
    broker_cm = broker.session()
    await broker_cm.__aenter__()
    broker_open = True
    try:
        async with bridge.session() as running_bridge:
            try:
                async with feeder.session(), _advert(cfg, term):
                    log.info("leader_services_up", term=term)
                    on_up()
                    await asyncio.Event().wait()
            finally:
                log.info("leader_services_stopping", term=term)
                broker_open = False
                await broker_cm.__aexit__(None, None, None)
                left = await bridge.drain(running_bridge, DRAIN_ON_STEP_DOWN_S)
                log.info("bridge_drained_on_step_down", term=term, left=left)
    finally:
        if broker_open:
            await broker_cm.__aexit__(None, None, None)


def _advert(cfg: CoordinatorConfig, term: int) -> BrokerAdvert:
    disc = cfg.discovery
    return BrokerAdvert(
        cfg.node.tenant,
        cfg.node.location,
        disc.advertise_host,
        cfg.broker.port,
        term,
        disc.version,
        interfaces=list(disc.interfaces) or None,
        node=cfg.node.id,
    )


async def drain_leftovers(bridge: BridgeService, stop_when: asyncio.Event) -> None:
    """On a node that does not lead: forward what its spool kept from an earlier
    leadership (a crash, a step-down cut short), then stop the bridge."""
    pending = await asyncio.to_thread(bridge.pending)
    if not pending:
        return
    log.info("bridge_leftovers_draining", queued=pending)
    async with bridge.session(wait_local=False) as running:
        drained = asyncio.create_task(bridge.drain(running, float("inf")))
        stopped = asyncio.create_task(stop_when.wait())
        await asyncio.wait({drained, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (drained, stopped):
            task.cancel()
    log.info("bridge_leftovers_done", interrupted=stop_when.is_set())
