"""``adwatch-edge coordinator --config FILE registry ...``: read and change the
venue registry from any box that has the coordinator config (and so the Raft
password). Joins the cluster as a read-only pysyncobj client: no vote, nothing
on disk; commands are forwarded to the leader and committed by Raft.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import msgspec

from edge.coordinator.config import CoordinatorConfig
from edge.coordinator.errors import RaftError
from edge.coordinator.raft import VenueRaft
from edge.coordinator.registry import AssignTv, Command, RemoveDevice, Role, UpsertDevice

CONNECT_TIMEOUT_S = 15.0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("registry", help="show or change the replicated venue registry")
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    acts.add_parser("show", help="print the registry as JSON lines")
    role = acts.add_parser("role", help="set a device's role (registers it if new)")
    role.add_argument("device")
    role.add_argument("role", choices=[r.value for r in Role])
    tv = acts.add_parser("tv", help="say which TV a worker watches ('-' for none)")
    tv.add_argument("device")
    tv.add_argument("tv")
    rm = acts.add_parser("remove", help="forget a device")
    rm.add_argument("device")


def command_of(args: argparse.Namespace) -> Command | None:
    """The registry command an admin invocation asks for (None: read only)."""
    match args.action:
        case "role":
            return UpsertDevice(device=args.device, role=Role(args.role))
        case "tv":
            return AssignTv(device=args.device, tv=None if args.tv == "-" else args.tv)
        case "remove":
            return RemoveDevice(device=args.device)
    return None


async def run_admin(cfg: CoordinatorConfig, args: argparse.Namespace) -> int:
    try:
        cmd = msgspec.convert(msgspec.to_builtins(command_of(args)), Command | None)
    except msgspec.ValidationError as exc:
        raise RaftError(f"bad registry command: {exc}") from exc
    client = await asyncio.to_thread(VenueRaft, cfg.raft, None)
    try:
        await asyncio.to_thread(_wait_caught_up, client)
        if cmd is not None:
            outcome = await client.submit(cmd)
            if outcome != "ok":
                print(outcome)
                return 1
            await asyncio.to_thread(_wait_applied, client, client.raftCommitIndex)
        for record in client.devices():
            print(msgspec.json.encode(record).decode())
        return 0
    finally:
        await asyncio.to_thread(client.destroy_synchronous)


def _wait_caught_up(client: VenueRaft) -> None:
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while not (client.view().leader and client.isReady()):
        if time.monotonic() > deadline:
            raise RaftError(f"no Raft leader reachable within {CONNECT_TIMEOUT_S}s")
        time.sleep(0.05)


def _wait_applied(client: VenueRaft, index: int) -> None:
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while client.raftLastApplied < index and time.monotonic() < deadline:
        time.sleep(0.05)
