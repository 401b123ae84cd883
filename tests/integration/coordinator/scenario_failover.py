"""Failover scenario: three coordinator processes, kill -9 the leader, count.

Run by ``test_coordinator_failover.py`` (one run) and ``tests/bench/bench_failover.py``
(several). Prints one JSON object (the result) as its last stdout line.

    python -m tests.integration.coordinator.scenario_failover --runs 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.discovery import BrokerBrowser
from schemas.codec import decode
from schemas.errors import SchemaError
from schemas.topics import uplink_filters
from tests.integration.coordinator.cluster import LOCATION, TENANT, Cluster, Node
from tests.integration.coordinator.publisher import Publisher

IFACES = ["127.0.0.1"]
WORKERS = ("w1", "w2")


class CloudCollector:
    """A subscriber on the cloud broker counting distinct message ids."""

    def __init__(self, host: str, port: int) -> None:
        self.ids: set[uuid.UUID] = set()
        self.deliveries = 0
        self.undecodable = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="cloud-collector", clean_session=False
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(1, 2)
        self._client.connect(host, port, keepalive=30)
        self._client.loop_start()
        if not self._ready.wait(10):
            raise TimeoutError("cloud collector did not subscribe")

    def _on_connect(self, client: mqtt.Client, *_a: object) -> None:
        for topic_filter in uplink_filters(TENANT, LOCATION):
            client.subscribe(topic_filter, qos=1)
        self._ready.set()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            message_id = decode(msg.payload).message_id
        except SchemaError:
            with self._lock:
                self.undecodable += 1
            return
        with self._lock:
            self.ids.add(message_id)
            self.deliveries += 1

    def snapshot(self) -> set[uuid.UUID]:
        with self._lock:
            return set(self.ids)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


DEVICE_PASSWORD = "device-secret-for-tests"
BRIDGE_USER, BRIDGE_PASSWORD = "coordinator", "bridge-secret-for-tests"


def venue_auth(workdir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A password file for the venue broker (the bridge account and one per
    worker) and the bridge's local login: the real auth + ACL path."""
    from broker.venue.passwords import format_password_file, hash_password

    users = {w: hash_password(DEVICE_PASSWORD) for w in WORKERS}
    users[BRIDGE_USER] = hash_password(BRIDGE_PASSWORD)
    path = workdir / "venue.passwd"
    path.write_text(format_password_file(users))
    broker = {"type": "venue", "settings": {"password_file": str(path)}}
    local = {"username": BRIDGE_USER, "password": BRIDGE_PASSWORD}
    return broker, local


def bridge_config(cloud: Any, local: dict[str, Any]) -> dict[str, Any]:
    """``[bridge]`` for the project's bridge; each node spools in its own data dir."""
    return {
        "type": "venue",
        "settings": {"cloud": {"host": cloud.host, "port": cloud.port}, "local": local},
    }


def leadership_events(cluster: Cluster) -> list[str]:
    """Who won, lost or failed to serve which term (from the nodes' logs)."""
    wanted = ('"leadership_won"', '"leadership_lost"', '"leader_services_failed"')
    events = []
    for node in cluster.nodes:
        for line in node.log_path.read_text(errors="replace").splitlines():
            if any(w in line for w in wanted):
                e = json.loads(line)
                events.append(
                    f"{e['timestamp']} {node.id} {e['event']} term={e.get('term')}"
                    f" {e.get('error', '')}".rstrip()
                )
    return sorted(events)


def logged(node: Node, event: str, field: str) -> Any:
    """``field`` of the node's last ``event`` log line (None if never logged)."""
    value = None
    for line in node.log_path.read_text(errors="replace").splitlines():
        if f'"{event}"' in line:
            value = json.loads(line).get(field)
    return value


def leadership_won_at(node: Node, term: int) -> float | None:
    """Wall-clock time the node logged winning ``term`` (its structured log)."""
    for line in node.log_path.read_text(errors="replace").splitlines():
        if '"leadership_won"' not in line:
            continue
        event = json.loads(line)
        if event.get("term") == term:
            ts = event["timestamp"].replace("Z", "+00:00")
            return datetime.fromisoformat(ts).timestamp()
    return None


async def _wait(cond: Any, timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


async def run_once(workdir: Path, args: argparse.Namespace, cloud: Any) -> dict[str, Any]:
    broker, local = venue_auth(workdir) if args.broker == "venue" else ({"type": "amqtt"}, {})
    bridge = bridge_config(cloud, local) if cloud is not None else None
    credentials = DEVICE_PASSWORD if args.broker == "venue" else None
    registry = {"username": local["username"], "password": local["password"]} if local else {}
    cluster = Cluster(workdir, broker=broker, bridge=bridge, registry=registry)
    collector = CloudCollector(cloud.host, cloud.port) if cloud is not None else None
    cluster.start_all()
    stop = asyncio.Event()
    try:
        async with contextlib.AsyncExitStack() as stack:
            watcher = await stack.enter_async_context(
                BrokerBrowser(TENANT, LOCATION, interfaces=IFACES)
            )
            first = await watcher.current(timeout=30)
            old = cluster.wait_leader(10)
            pubs = []
            for device in WORKERS:
                browser = await stack.enter_async_context(
                    BrokerBrowser(TENANT, LOCATION, interfaces=IFACES)
                )
                pubs.append(
                    Publisher(TENANT, LOCATION, device, browser, args.replay_s, credentials)
                )
            for p in pubs:
                stack.callback(p.close)
            tasks = [asyncio.create_task(p.follow()) for p in pubs]
            tasks += [asyncio.create_task(p.publish(args.rate, stop)) for p in pubs]
            await _wait(lambda: all(p.outbox.acked for p in pubs), 15, "no PUBACK before kill")
            if args.outage:  # the leader's bridge spools from here on
                await asyncio.to_thread(cloud.stop)
            await asyncio.sleep(args.before_s)

            t_kill, wall_kill = time.monotonic(), time.time()
            cluster.kill(old)
            new = await watcher.newer_than(first.term, timeout=30)
            t_seen = time.monotonic()
            in_cloud_at_failover = collector.snapshot() if collector else set()
            await _wait(lambda: all(p.reconnected_at for p in pubs), 30, "workers not back")
            reconnect_s = max(p.reconnected_at or 0 for p in pubs) - t_kill
            await asyncio.sleep(args.after_s)
            if args.outage:  # cloud back; the killed node restarts and drains its spool
                await asyncio.to_thread(cloud.start)
                cluster.start(old)
            stop.set()
            drained = [await p.drain(20) for p in pubs]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        sent = {i for p in pubs for i in p.sent_ids}
        acked_before_kill = {
            i for p in pubs for i, (at, _t, _p) in p.outbox.acked.items() if at < t_kill
        }
        missing: set[uuid.UUID] = set()
        if collector is not None:
            with contextlib.suppress(TimeoutError):
                await _wait(lambda: sent <= collector.snapshot(), 30, "cloud incomplete")
            missing = sent - collector.snapshot()
        leader_now = cluster.leader()
        status = leader_now.status() if leader_now else None
        won = leadership_won_at(leader_now, new.term) if leader_now else None
        return {
            "failover_s": round(t_seen - t_kill, 3),
            "election_s": None if won is None else round(won - wall_kill, 3),
            "workers_reconnected_s": round(reconnect_s, 3),
            "old_term": first.term,
            "new_term": new.term,
            "new_port": new.port,
            "new_leader_serves_advert": bool(
                status and status.serving and status.serving.port == new.port
            ),
            "registry": sorted(f"{d.device}:{d.role.value}" for d in status.devices)
            if status
            else [],
            "leaderships": leadership_events(cluster),
            "outage": args.outage,
            "restarted_node_drained": logged(old, "bridge_leftovers_draining", "queued"),
            "sent": len(sent),
            "drained": all(drained),
            "cloud_checked": collector is not None,
            "cloud_distinct": len(collector.ids) if collector else 0,
            "cloud_deliveries": collector.deliveries if collector else 0,
            "missing": len(missing),
            "replayed": sum(len(p.replayed) for p in pubs),
            "lost_without_replay": len(acked_before_kill - in_cloud_at_failover)
            if collector
            else None,
        }
    finally:
        stop.set()
        if collector is not None:
            collector.close()
        codes = cluster.stop_all()
        if any(c != 0 for c in codes.values()):
            print(f"unclean coordinator exits {codes}\n{cluster.logs()}", file=sys.stderr)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    from tests.support.mosquitto import run_mosquitto

    runs = []
    for _ in range(args.runs):
        workdir = Path(tempfile.mkdtemp(prefix="adwatch-failover-"))
        try:
            if args.bridge == "venue":
                with run_mosquitto() as cloud:
                    runs.append(await run_once(workdir, args, cloud))
            else:
                runs.append(await run_once(workdir, args, None))
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
    return {"runs": runs}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--broker", choices=["venue", "amqtt"], default="venue")
    p.add_argument("--bridge", choices=["venue", "none"], default="venue")
    p.add_argument("--rate", type=float, default=20.0, help="messages/s per worker")
    p.add_argument("--replay-s", type=float, default=5.0, help="failover replay window")
    p.add_argument("--before-s", type=float, default=2.0, help="traffic before the kill")
    p.add_argument("--after-s", type=float, default=2.0, help="traffic after reconnecting")
    p.add_argument(
        "--outage",
        action="store_true",
        help="stop the cloud broker before the kill; restart it and the killed node after",
    )
    p.add_argument("--keep", action="store_true", help="keep the work folders")
    return p.parse_args(argv)


if __name__ == "__main__":
    import logging

    import structlog

    logging.basicConfig(level=logging.WARNING)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    result = asyncio.run(main(parse_args(sys.argv[1:])))
    print(json.dumps(result))
