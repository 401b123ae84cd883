"""Kafka for the local stack: single node, KRaft (combined broker + controller), stdlib only.

The jars come from Maven Central through ops/kafka/pom.xml and are cached outside the repo in
~/.cache/adwatch/kafka-VERSION/lib. Readiness is a real Metadata request over the Kafka protocol.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import struct
import uuid
from pathlib import Path

from stack_procs import Launch, run_quiet, say
from stack_services import (
    HOST,
    KAFKA_CONTROLLER_PORT,
    KAFKA_PORT,
    KAFKA_VERSION,
    Layout,
    Service,
    StackError,
)


def _ops(lay: Layout) -> Path:
    return lay.root / "ops" / "kafka"


def kafka_lib(lay: Layout) -> Path:
    return lay.cache / f"kafka-{KAFKA_VERSION}" / "lib"


def _pom_digest(lay: Layout) -> str:
    return hashlib.sha256((_ops(lay) / "pom.xml").read_bytes()).hexdigest()[:16]


def _fetch_jars(lay: Layout) -> None:
    """mvn dependency:copy-dependencies into the cache (atomic: tmp folder, then rename)."""
    lib = kafka_lib(lay)
    marker = lib / ".complete"
    digest = _pom_digest(lay)
    if marker.exists() and marker.read_text().strip() == digest:
        return
    if shutil.which("mvn") is None:
        raise StackError("mvn not found (apt-get install maven)")
    work = lib.parent
    work.mkdir(parents=True, exist_ok=True)
    tmp = work / f"lib.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    pom = work / "pom.xml"  # run from the cache so no target/ appears in the repo
    shutil.copyfile(_ops(lay) / "pom.xml", pom)
    say(f"kafka: fetching Kafka {KAFKA_VERSION} jars from Maven Central into {lib} ...")
    res = run_quiet(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            f"-Dkafka.version={KAFKA_VERSION}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}",
            "-DincludeScope=runtime",
        ],
        900,
        cwd=str(work),
    )
    if res.returncode != 0 or not any(tmp.glob("kafka_2.13-*.jar")):
        shutil.rmtree(tmp, ignore_errors=True)
        raise StackError(f"mvn failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    (tmp / ".complete").write_text(digest + "\n")
    shutil.rmtree(lib, ignore_errors=True)
    try:
        tmp.rename(lib)
    except OSError:  # another checkout won the race; its copy is as good as ours
        shutil.rmtree(tmp, ignore_errors=True)


def _java(lay: Layout, heap: str) -> list[str]:
    log4j = _ops(lay) / "log4j.properties"
    return [
        "java",
        f"-Xmx{heap}",
        "-Xms64m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{log4j}",
        "-cp",
        f"{kafka_lib(lay)}/*",
    ]


def _cluster_id() -> str:
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _kafka_prepare(lay: Layout) -> None:
    _fetch_jars(lay)
    home = lay.data("kafka")
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    props = (_ops(lay) / "server.properties").read_text()
    for key, value in {
        "@KAFKA_PORT@": str(KAFKA_PORT),
        "@LOG_DIRS@": str(data),
        "@CONTROLLER_PORT@": str(KAFKA_CONTROLLER_PORT),
    }.items():
        props = props.replace(key, value)
    (home / "server.properties").write_text(props)
    if (data / "meta.properties").exists():
        return  # formatted before: keep the data across restarts
    res = run_quiet(
        [
            *_java(lay, "256m"),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            _cluster_id(),
            "-c",
            str(home / "server.properties"),
        ],
        180,
        cwd=str(home),
    )
    if res.returncode != 0:
        raise StackError(f"kafka storage format failed:\n{res.stdout}\n{res.stderr}")


def _kafka_launch(lay: Layout) -> Launch:
    home = lay.data("kafka")
    return Launch([*_java(lay, "512m"), "kafka.Kafka", str(home / "server.properties")], home)


def _str16(data: bytes, pos: int) -> tuple[str | None, int]:
    (n,) = struct.unpack_from(">h", data, pos)
    if n < 0:
        return None, pos + 2
    return data[pos + 2 : pos + 2 + n].decode(), pos + 2 + n


def kafka_metadata(host: str, port: int, timeout: float = 3.0) -> tuple[int, int, str | None]:
    """Send Metadata v4 (no topics); return (number of live brokers, controller id, cluster id)."""
    client = b"adwatch-stack"
    body = struct.pack(">hhih", 3, 4, 7, len(client)) + client + struct.pack(">i?", 0, False)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _recv(sock, 4))[0]
        data = _recv(sock, size)
    corr, _throttle, nbrokers = struct.unpack_from(">iii", data, 0)
    if corr != 7:
        raise OSError(f"unexpected correlation id {corr}")
    pos = 12
    for _ in range(nbrokers):
        pos += 4  # node id
        _host, pos = _str16(data, pos)
        pos += 4  # port
        _rack, pos = _str16(data, pos)
    cluster, pos = _str16(data, pos)
    (controller,) = struct.unpack_from(">i", data, pos)
    return nbrokers, controller, cluster


def _recv(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf


def _kafka_probe(_: Layout) -> str | None:
    try:
        brokers, controller, _cluster = kafka_metadata(HOST, KAFKA_PORT)
    except (OSError, struct.error) as exc:
        return f"metadata: {exc}"
    if brokers < 1 or controller < 0:
        return f"metadata: {brokers} brokers, controller {controller}"
    return None


KAFKA = Service(
    "kafka",
    (KAFKA_PORT, KAFKA_CONTROLLER_PORT),
    _kafka_prepare,
    _kafka_launch,
    _kafka_probe,
    start_timeout=240,
    stop_timeout=40,
    env_keys=("ADWATCH_KAFKA_BOOTSTRAP",),
)
