"""The Raft node: a pysyncobj ``SyncObj`` holding the replicated venue registry.

pysyncobj runs its own thread (``autoTick``). Everything here that the asyncio
side calls is either an atomic read of one attribute (leadership, term, the
registry dict, which :meth:`_apply` replaces wholesale instead of mutating) or
:meth:`submit`, which bridges pysyncobj's result callback onto the event loop
with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import msgspec
import structlog
from pysyncobj import FAIL_REASON, SyncObj, SyncObjConf, SyncObjException, replicated

from edge.coordinator.config import MIN_PASSWORD_LEN, RaftSection
from edge.coordinator.errors import ConfigError, RaftError
from edge.coordinator.registry import (
    Command,
    DeviceRecord,
    apply_command,
    decode_command,
    encode_command,
    sorted_devices,
)

log = structlog.get_logger(__name__)
BIND_RETRIES = 5  # one a second


class RaftView(msgspec.Struct, frozen=True, kw_only=True):
    """One consistent-enough look at this node's Raft state."""

    node: str  # this node's Raft address
    role: Literal["leader", "follower"]
    term: int
    leader: str | None  # last known leader's Raft address
    commit_index: int
    ready: bool  # caught up with the log once since start

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"


def syncobj_conf(
    raft: RaftSection, data_dir: Path | None, on_change: Callable[[], None]
) -> SyncObjConf:
    """pysyncobj settings from ours. ``password`` switches on its Fernet
    (AES-128-CBC + HMAC-SHA256) encryption of every Raft message. Without a
    ``data_dir`` (a read-only admin client) nothing is written to disk."""
    if len(raft.password) < MIN_PASSWORD_LEN:
        raise ConfigError("refusing to start Raft without a password (see raft.password)")
    return SyncObjConf(
        password=raft.password,
        # term, vote and log survive restarts
        journalFile=None if data_dir is None else str(data_dir / "raft.journal"),
        fullDumpFile=None if data_dir is None else str(data_dir / "raft.snapshot"),
        useFork=False,  # never fork a process that runs threads and an event loop
        raftMinTimeout=raft.election_timeout_min_s,
        raftMaxTimeout=raft.election_timeout_max_s,
        appendEntriesPeriod=raft.heartbeat_s,
        leaderFallbackTimeout=raft.leader_fallback_s,
        connectionTimeout=max(1.0, raft.election_timeout_max_s),
        connectionRetryTime=1.0,
        dynamicMembershipChange=False,  # membership is the config file, nothing else
        maxBindRetries=BIND_RETRIES,  # default: retry for ever, silently
        onStateChanged=lambda _old, _new: on_change(),
    )


class VenueRaft(SyncObj):  # type: ignore[misc]  # pysyncobj is untyped
    """Raft member holding the venue registry; ``password`` is mandatory."""

    def __init__(
        self,
        raft: RaftSection,
        data_dir: Path | None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        """A member at ``raft.bind``; with ``data_dir=None`` a read-only client
        instead (not a member, no vote, nothing on disk) that follows the log
        and can submit commands, for the admin CLI."""
        if data_dir is None:
            this, others = None, [raft.bind, *raft.peers]
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            this, others = raft.bind, list(raft.peers)
        super().__init__(this, others, syncobj_conf(raft, data_dir, on_change))
        if this is not None:
            try:
                self.waitBinded()
            except SyncObjException:
                self.destroy()
                raise RaftError(f"cannot listen on raft.bind {this} (in use?)") from None
        # Set after SyncObj.__init__: pysyncobj snapshots exactly the attributes
        # added after its own, i.e. only this one.
        self._devices: dict[str, DeviceRecord] = {}

    # -- replicated state machine (runs on pysyncobj's thread) --------------

    @replicated  # type: ignore[untyped-decorator]
    def _apply(self, payload: bytes) -> str:
        try:
            cmd = decode_command(payload)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            # Same bytes fail the same way on every node: the state stays identical.
            return f"rejected: {exc}"
        self._devices, outcome = apply_command(self._devices, cmd)
        return outcome

    # -- reads (any thread) --------------------------------------------------

    def devices(self) -> tuple[DeviceRecord, ...]:
        return sorted_devices(self._devices)

    def device(self, device: str) -> DeviceRecord | None:
        return self._devices.get(device)

    def view(self) -> RaftView:
        leader, me = self._getLeader(), self.selfNode
        return RaftView(
            node="readonly" if me is None else str(me.address),
            role="leader" if self._isLeader() else "follower",
            term=int(self.raftCurrentTerm),
            leader=None if leader is None else str(leader.address),
            commit_index=int(self.raftCommitIndex),
            ready=bool(self.isReady()),
        )

    # -- writes (from asyncio) -----------------------------------------------

    async def submit(self, cmd: Command, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Replicate a registry command; returns the outcome once committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str] = loop.create_future()

        def callback(result: Any, error: Any) -> None:  # pysyncobj's thread
            loop.call_soon_threadsafe(_settle, done, result, error)

        self._apply(encode_command(cmd), callback=callback)
        try:
            return await asyncio.wait_for(done, timeout)
        except TimeoutError:
            raise RaftError(f"registry write not committed within {timeout}s") from None


def _settle(done: asyncio.Future[str], result: Any, error: Any) -> None:
    if done.done():
        return
    if error == FAIL_REASON.SUCCESS:
        done.set_result(str(result))
    else:
        done.set_exception(RaftError(f"registry write failed: {_reason(error)}"))


def _reason(error: Any) -> str:
    names = {v: k for k, v in vars(FAIL_REASON).items() if k.isupper()}
    return str(names.get(error, error))
