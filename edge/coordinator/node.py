"""The coordinator process: a Raft member that, while it leads, serves the venue.

A watchdog checks leadership every ``raft.watchdog_s`` (and at once when
pysyncobj reports a state change), starts or stops the leader services, and
rewrites the status file. Another loop keeps this node's own registry entry
fresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import structlog

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.errors import CoordinatorError, RaftError
from edge.coordinator.feeder import RegistryFeeder
from edge.coordinator.leader import Serving, drain_leftovers, next_action, serve_as_leader
from edge.coordinator.raft import RaftView, VenueRaft
from edge.coordinator.registry import DeviceRecord, MarkSeen, Role, Sighting, UpsertDevice
from edge.coordinator.services import build_bridge, build_broker

log = structlog.get_logger(__name__)
SELF_SEEN_PERIOD_S = 5.0
STOP_TIMEOUT_S = 10.0
MAX_START_FAILURES = 3


class NodeStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What the status file says (for operators, health probes and tests)."""

    node: str
    pid: int
    updated_at: datetime
    raft: RaftView
    serving: Serving | None
    devices: tuple[DeviceRecord, ...]


class Coordinator:
    def __init__(self, cfg: CoordinatorConfig) -> None:
        self._cfg = cfg
        self._broker = build_broker(cfg)
        self._bridge = build_bridge(cfg)
        self._feeder: RegistryFeeder | None = None
        self._leftovers: asyncio.Task[None] | None = None
        self._leftovers_stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._serving: Serving | None = None
        self._pending_term: int | None = None
        self._failures = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Join the cluster and serve while leading, until ``stop`` is set."""
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()
        data_dir = Path(self._cfg.node.data_dir)

        def wake() -> None:  # called on pysyncobj's thread
            loop.call_soon_threadsafe(woken.set)

        raft = await asyncio.to_thread(VenueRaft, self._cfg.raft, data_dir, wake)
        self._feeder = RegistryFeeder(self._cfg, raft)
        log.info("raft_started", node=self._cfg.node.id, bind=self._cfg.raft.bind)
        seen = asyncio.create_task(self._keep_self_seen(raft))
        self._drain_leftovers()
        try:
            while not stop.is_set():
                await self._tick(raft)
                woken.clear()
                await _wait_any(stop, woken, self._cfg.raft.watchdog_s)
        finally:
            seen.cancel()
            await self._stop_services(then_drain=False)
            await self._stop_leftovers()
            await asyncio.to_thread(raft.destroy_synchronous)
            self._write_status(raft)
            log.info("coordinator_stopped", node=self._cfg.node.id)

    async def _tick(self, raft: VenueRaft) -> None:
        if self._reap():
            log.warning("transferring_leadership", reason="leader services keep failing")
            raft.transferLeadership()
        view = raft.view()
        action = next_action(self._pending_term, view)
        if action in ("stop", "restart"):
            log.info("leadership_lost", term=self._pending_term, now=view.term, leader=view.leader)
            await self._stop_services()
        if action in ("start", "restart"):
            self._start_services(raft, view.term)
        self._write_status(raft, view)

    def _start_services(self, raft: VenueRaft, term: int) -> None:
        log.info("leadership_won", term=term, node=self._cfg.node.id)
        self._pending_term = term

        def up() -> None:
            self._serving = Serving(
                term=term,
                since=datetime.now(UTC),
                host=self._cfg.discovery.advertise_host,
                port=self._cfg.broker.port,
            )
            self._failures = 0

        self._task = asyncio.create_task(self._lead(term, up))

    async def _lead(self, term: int, up: Callable[[], None]) -> None:
        await self._stop_leftovers()  # one bridge per spool file at a time
        assert self._feeder is not None
        await serve_as_leader(self._cfg, term, self._broker, self._bridge, self._feeder, up)

    def _drain_leftovers(self) -> None:
        """Forward what the spool kept from an earlier leadership, as a follower."""
        self._leftovers_stop = asyncio.Event()
        task = asyncio.create_task(drain_leftovers(self._bridge, self._leftovers_stop))
        task.add_done_callback(_log_failure)
        self._leftovers = task

    async def _stop_leftovers(self) -> None:
        task, self._leftovers = self._leftovers, None
        if task is not None:
            self._leftovers_stop.set()
            await asyncio.gather(task, return_exceptions=True)

    def _reap(self) -> bool:
        """Notice leader services that died on their own (a port taken, a crash);
        True when they failed often enough that another node should lead."""
        task = self._task
        if task is None or not task.done():
            return False
        self._task, self._serving, self._pending_term = None, None, None
        exc = None if task.cancelled() else task.exception()
        self._failures += 1
        log.error("leader_services_failed", error=repr(exc), failures=self._failures)
        # This tick starts them again; after repeated failures another node may do
        # better, so hand leadership over instead of leaving the venue without a broker.
        if self._failures < MAX_START_FAILURES:
            return False
        self._failures = 0
        return True

    async def _stop_services(self, *, then_drain: bool = True) -> None:
        task, self._task = self._task, None
        self._serving, self._pending_term = None, None
        if task is None:
            return
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_TIMEOUT_S)
        if not done:
            log.error("leader_services_stop_timeout", timeout_s=STOP_TIMEOUT_S)
        elif not task.cancelled() and task.exception() is not None:
            log.error("leader_services_failed_on_stop", error=repr(task.exception()))
        if then_drain:
            self._drain_leftovers()

    async def _keep_self_seen(self, raft: VenueRaft) -> None:
        node = self._cfg.node.id
        registered = False
        while True:
            await asyncio.sleep(SELF_SEEN_PERIOD_S if registered else 1.0)
            if raft.view().leader is None:
                continue
            try:
                if not registered:
                    await raft.submit(UpsertDevice(device=node, role=Role.COORDINATOR))
                    registered = True
                now = datetime.now(UTC)
                await raft.submit(MarkSeen(sightings=(Sighting(device=node, at=now, online=True),)))
            except (RaftError, CoordinatorError) as exc:
                log.warning("self_seen_failed", error=str(exc))

    def _write_status(self, raft: VenueRaft, view: RaftView | None = None) -> None:
        path = self._cfg.node.status_file
        if not path:
            return
        status = NodeStatus(
            node=self._cfg.node.id,
            pid=os.getpid(),
            updated_at=datetime.now(UTC),
            raft=view or raft.view(),
            serving=self._serving,
            devices=raft.devices(),
        )
        write_atomic(Path(path), msgspec.json.encode(status))


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("bridge_leftovers_failed", error=repr(task.exception()))


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def read_status(path: Path) -> NodeStatus:
    return msgspec.json.decode(path.read_bytes(), type=NodeStatus)


async def _wait_any(a: asyncio.Event, b: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
    waiters = [asyncio.create_task(a.wait()), asyncio.create_task(b.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waiters, return_exceptions=True)
