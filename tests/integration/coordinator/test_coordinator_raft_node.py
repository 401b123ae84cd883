"""The Raft node in-process (real pysyncobj on loopback)."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.coordinator.config import RaftSection
from edge.coordinator.errors import RaftError
from edge.coordinator.raft import VenueRaft
from edge.coordinator.registry import AssignTv, MarkSeen, Role, Sighting, UpsertDevice
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
PASSWORD = "correct horse battery staple"


async def test_single_node_leads_commits_and_persists(tmp_path: Path) -> None:
    raft = RaftSection(bind=f"127.0.0.1:{free_port()}", peers=(), password=PASSWORD)
    node = VenueRaft(raft, tmp_path)
    try:
        for _ in range(100):
            if node.view().is_leader:
                break
            await asyncio.sleep(0.05)
        view = node.view()
        assert view.is_leader and view.leader == raft.bind and view.term >= 1
        seen = datetime(2026, 1, 1, tzinfo=UTC)
        assert await node.submit(UpsertDevice(device="w1", role=Role.WORKER)) == "ok"
        assert await node.submit(AssignTv(device="w1", tv="tv-left")) == "ok"
        assert await node.submit(AssignTv(device="nobody", tv="tv-left")) == "unknown device nobody"
        assert await node.submit(MarkSeen(sightings=(Sighting(device="w1", at=seen),))) == "ok"
        record = node.device("w1")
        assert record is not None
        assert (record.role, record.tv, record.last_seen) == (Role.WORKER, "tv-left", seen)
        term = view.term
    finally:
        node.destroy_synchronous()
    # The journal keeps term and log: a restarted node replays the same registry.
    again = VenueRaft(raft, tmp_path)
    try:
        for _ in range(100):
            if again.device("w1") is not None and again.view().is_leader:
                break
            await asyncio.sleep(0.05)
        assert again.device("w1") == record
        assert again.view().term > term
    finally:
        again.destroy_synchronous()


def test_port_in_use_is_an_error_not_a_silent_hang(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        raft = RaftSection(bind=f"127.0.0.1:{port}", peers=(), password=PASSWORD)
        with pytest.raises(RaftError, match="cannot listen"):
            VenueRaft(raft, tmp_path)
