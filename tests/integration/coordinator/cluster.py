"""Run a venue's coordinator nodes as real processes, for scenarios and benches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge.coordinator.node import NodeStatus, read_status
from tests.support.ports import free_port

# A location of its own per scenario process: where no private network namespace
# is available, adverts of other tests on the host's loopback are ignored.
TENANT, LOCATION = "acme", f"venue-{os.getpid()}"
PASSWORD = "correct horse battery staple"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_text(tree: dict[str, dict[str, Any]]) -> str:
    out: list[str] = []
    for section, values in tree.items():
        out.append(f"[{section}]")
        out.extend(f"{k} = {toml_value(v)}" for k, v in values.items())
    return "\n".join(out) + "\n"


@dataclass
class Node:
    index: int
    workdir: Path
    raft: str
    broker_port: int
    proc: subprocess.Popen[bytes] | None = None
    config_path: Path = field(init=False)
    status_path: Path = field(init=False)
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.config_path = self.workdir / f"node{self.index}.toml"
        self.status_path = self.workdir / f"node{self.index}.status.json"
        self.log_path = self.workdir / f"node{self.index}.log"

    @property
    def id(self) -> str:
        return f"coord-{self.index}"

    def status(self) -> NodeStatus | None:
        try:
            return read_status(self.status_path)
        except (OSError, ValueError):
            return None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    """N coordinator processes on loopback (free Raft and broker ports)."""

    def __init__(
        self,
        workdir: Path,
        size: int = 3,
        broker: dict[str, Any] | None = None,
        bridge: dict[str, Any] | None = None,
        registry: dict[str, Any] | None = None,
    ) -> None:
        self.workdir = workdir
        self.nodes = [
            Node(i, workdir, f"127.0.0.1:{free_port()}", free_port()) for i in range(1, size + 1)
        ]
        self.broker = broker or {"type": "amqtt"}
        self.bridge = bridge or {"type": "none"}
        self.registry = registry or {}

    def config(self, node: Node, password: str = PASSWORD) -> dict[str, dict[str, Any]]:
        raft: dict[str, Any] = {
            "bind": node.raft,
            "peers": [n.raft for n in self.nodes if n is not node],
        }
        if password:
            raft["password"] = password
        return {
            "node": {
                "id": node.id,
                "tenant": TENANT,
                "location": LOCATION,
                "data_dir": str(self.workdir / f"data{node.index}"),
                "status_file": str(node.status_path),
            },
            "raft": raft,
            "discovery": {"advertise_host": "127.0.0.1", "interfaces": ["127.0.0.1"]},
            "broker": {**self.broker, "host": "127.0.0.1", "port": node.broker_port},
            "bridge": dict(self.bridge),
            "registry": dict(self.registry),
        }

    def start(self, node: Node, config: dict[str, dict[str, Any]] | None = None) -> None:
        node.config_path.write_text(toml_text(config or self.config(node)))
        env = {k: v for k, v in os.environ.items() if k != "ADWATCH_RAFT_PASSWORD"}
        with node.log_path.open("ab") as log:
            node.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "edge.cli",
                    "coordinator",
                    "--config",
                    str(node.config_path),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def start_all(self) -> None:
        for node in self.nodes:
            self.start(node)

    def leader(self) -> Node | None:
        """The live node whose status says it serves (broker + advert up)."""
        for node in self.nodes:
            st = node.status()
            if node.alive and st is not None and st.serving is not None:
                return node
        return None

    def wait_leader(self, timeout: float) -> Node:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (node := self.leader()) is not None:
                return node
            time.sleep(0.1)
        raise TimeoutError(f"no coordinator serving after {timeout}s:\n{self.logs()}")

    def kill(self, node: Node) -> None:
        assert node.proc is not None
        node.proc.send_signal(signal.SIGKILL)
        node.proc.wait(10)

    def stop_all(self, timeout: float = 15.0) -> dict[str, int | None]:
        """SIGTERM every live node; their exit codes (None: had to be killed)."""
        codes: dict[str, int | None] = {}
        live = [n for n in self.nodes if n.alive]
        for node in live:
            assert node.proc is not None
            node.proc.terminate()
        for node in live:
            assert node.proc is not None
            try:
                codes[node.id] = node.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait(10)
                codes[node.id] = None
        return codes

    def logs(self, tail: int = 3000) -> str:
        parts = []
        for node in self.nodes:
            text = node.log_path.read_text(errors="replace") if node.log_path.exists() else ""
            parts.append(f"--- {node.id} ---\n{text[-tail:]}")
        return "\n".join(parts)
