"""Raft security scenario: strangers without the password cannot join or disrupt.

A three-node cluster runs; one follower is stopped and its Raft address is
taken over, in turn, by (1) a coordinator with a wrong password and (2) a plain
pysyncobj node without any password that campaigns and submits writes. Then a
forged pickle is sent straight to the leader's Raft port. A passwordless
pysyncobj node is the control: the same forged bytes do run code there.
Prints one JSON result as its last stdout line.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from pysyncobj import SyncObj, SyncObjConf, replicated

from tests.integration.coordinator.cluster import Cluster, Node
from tests.support.ports import free_port

ATTACK_S = 6.0


class _Evil:
    """Unpickling this creates a folder: proof that code ran on the receiver."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (self.marker,))


class Stranger(SyncObj):  # type: ignore[misc]
    """A pysyncobj node without a password, with a write it would like replicated."""

    def __init__(self, bind: str, peers: list[str]) -> None:
        super().__init__(
            bind,
            peers,
            SyncObjConf(raftMinTimeout=0.4, raftMaxTimeout=0.8, connectionRetryTime=0.3),
        )
        self.values: list[str] = []

    @replicated  # type: ignore[untyped-decorator]
    def put(self, value: str) -> None:
        self.values.append(value)


def forged_frame(marker: str) -> bytes:
    """A pysyncobj wire frame (length, zlib(pickle)) carrying the evil object."""
    data = zlib.compress(pickle.dumps(_Evil(marker)), 3)
    return struct.pack("i", len(data)) + data


def send_forged(address: str, marker: str) -> None:
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=3) as sock:
        sock.sendall(forged_frame(marker))
        time.sleep(0.5)


def admin(cluster: Cluster, *words: str) -> subprocess.CompletedProcess[str]:
    """The operator's CLI: ``adwatch-edge coordinator --config F registry ...``."""
    cmd = [sys.executable, "-m", "edge.cli", "coordinator", "--config"]
    cmd += [str(cluster.nodes[0].config_path), "registry", *words]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def operator_edits(cluster: Cluster) -> dict[str, Any]:
    """Register a worker and its TV through the admin CLI; every member's status
    file must show it (replicated), and ``registry show`` must print it."""
    role = admin(cluster, "role", "w9", "worker")
    tv = admin(cluster, "tv", "w9", "tv-bar-left")
    bad = admin(cluster, "tv", "ghost", "tv-x")
    deadline = time.monotonic() + 10
    replicated_to = 0
    while time.monotonic() < deadline:
        replicated_to = sum(
            1
            for n in cluster.nodes
            if (st := n.status())
            and any(d.device == "w9" and d.tv == "tv-bar-left" for d in st.devices)
        )
        if replicated_to == len(cluster.nodes):
            break
        time.sleep(0.2)
    shown = admin(cluster, "show")
    return {
        "admin_exit_codes": [role.returncode, tv.returncode, shown.returncode],
        "admin_unknown_device": [bad.returncode, bad.stdout.strip()],
        "admin_show_has_w9": '"tv":"tv-bar-left"' in shown.stdout,
        "operator_edit_replicated_to": replicated_to,
        "admin_stderr": (role.stderr + tv.stderr + shown.stderr)[-2000:],
    }


def snapshot(cluster: Cluster) -> dict[str, Any]:
    live = [n for n in cluster.nodes if n.alive]
    views = {n.id: n.status() for n in live}
    leader = cluster.leader()
    lst = leader.status() if leader else None
    return {
        "leader": leader.id if leader else None,
        "terms": sorted({v.raft.term for v in views.values() if v}),
        "leaders_seen": sorted({str(v.raft.leader) for v in views.values() if v}),
        "registry": sorted((d.device, d.role.value, d.tv) for d in lst.devices) if lst else [],
    }


def control_passwordless(workdir: Path) -> bool:
    """The forged frame does run code on a node without a password."""
    bind = f"127.0.0.1:{free_port()}"
    node = Stranger(bind, [])
    try:
        time.sleep(0.5)
        marker = str(workdir / "control-pwned")
        send_forged(bind, marker)
        return Path(marker).exists()
    finally:
        node.destroy_synchronous()


def wrong_password_phase(cluster: Cluster, slot: Node) -> dict[str, Any]:
    cfg = cluster.config(slot, password="not the venue password, sorry")
    cfg["node"]["id"] = "rogue"
    cfg["node"]["status_file"] = str(cluster.workdir / "rogue.status.json")
    cfg["node"]["data_dir"] = str(cluster.workdir / "rogue-data")
    rogue = Node(99, cluster.workdir, slot.raft, slot.broker_port)
    rogue.status_path = Path(cfg["node"]["status_file"])
    cluster.start(rogue, cfg)
    time.sleep(ATTACK_S)
    st = rogue.status()
    assert rogue.proc is not None
    rogue.proc.kill()
    rogue.proc.wait(10)
    return {
        "rogue_started": st is not None,
        "rogue_saw_leader": st is not None and st.raft.leader is not None,
        "rogue_served": st is not None and st.serving is not None,
        "rogue_term": st.raft.term if st else None,
    }


def no_password_phase(slot: Node, cluster: Cluster) -> dict[str, Any]:
    peers = [n.raft for n in cluster.nodes if n is not slot]
    stranger = Stranger(slot.raft, peers)
    results: list[Any] = []
    try:
        deadline = time.monotonic() + ATTACK_S
        while time.monotonic() < deadline:
            stranger.put("evil", callback=lambda res, err: results.append(err))
            time.sleep(0.5)
        leader = stranger._getLeader()
        return {
            "stranger_saw_leader": leader is not None and leader != stranger.selfNode,
            "stranger_term": stranger.raftCurrentTerm,
            "stranger_writes_committed": sum(1 for e in results if e == 0),
        }
    finally:
        stranger.destroy_synchronous()


def main(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="adwatch-raftsec-"))
    cluster = Cluster(workdir)
    try:
        cluster.start_all()
        leader = cluster.wait_leader(30)
        deadline = time.monotonic() + 20
        while len(snapshot(cluster)["registry"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        edits = operator_edits(cluster)
        follower = next(n for n in cluster.nodes if n is not leader)
        assert follower.proc is not None
        follower.proc.terminate()
        follower.proc.wait(15)
        time.sleep(1.0)
        before = snapshot(cluster)

        result: dict[str, Any] = {"before": before, **edits}
        result |= wrong_password_phase(cluster, follower)
        result["after_wrong_password"] = snapshot(cluster)
        result |= no_password_phase(follower, cluster)
        result["after_no_password"] = snapshot(cluster)
        marker = workdir / "cluster-pwned"
        send_forged(leader.raft, str(marker))
        time.sleep(1.0)
        result["forged_pickle_ran_on_cluster"] = marker.exists()
        result["leader_alive_after_forgery"] = leader.alive
        result["after_forgery"] = snapshot(cluster)
        result["forged_pickle_runs_without_password"] = control_passwordless(workdir)
        return result
    finally:
        cluster.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.CRITICAL)  # pysyncobj logs every failed handshake
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true")
    print(json.dumps(main(parser.parse_args(sys.argv[1:]))))
    sys.stdout.flush()
