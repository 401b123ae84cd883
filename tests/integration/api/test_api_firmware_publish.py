"""``adwatch-cloud firmware publish``: stored, recorded, signed and announced retained."""

from __future__ import annotations

import hashlib
import os
import queue
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from paho.mqtt.enums import CallbackAPIVersion

from cloud.firmware.cli import main
from cloud.firmware.signing import verify
from schemas.codec import decode
from schemas.messages import FirmwareManifest
from schemas.topics import ota_topic
from tests.integration.api import support as s

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _retained(host: str, port: int, topic: str) -> bytes:
    got: queue.Queue[bytes] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda _c, _u, msg: got.put(bytes(msg.payload)) if msg.retain else None
    client.connect(host, port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    try:
        return got.get(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def _clear(host: str, port: int, topic: str) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(host, port)
    client.loop_start()
    client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def test_publish_stores_signs_and_announces(
    api_dsn: str, mqtt_broker: tuple[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host, port = mqtt_broker
    tenant = f"fwt-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(api_dsn, autocommit=True) as conn:
        s.seed_tenant(conn, tenant, ["bar"])
    key = tmp_path / "signing.pem"
    assert main(["keygen", "--out", str(key)]) == 0
    public = serialization.load_pem_public_key(capsys.readouterr().out.encode())
    assert isinstance(public, Ed25519PublicKey)
    artifact = tmp_path / "image.bin"
    artifact.write_bytes(os.urandom(50_000))
    fw_dir = tmp_path / "firmware"
    common = [
        "--tenant",
        tenant,
        "--channel",
        "stable",
        "--hardware",
        "rpi4",
        "--key",
        str(key),
        "--dsn",
        api_dsn,
        "--firmware-dir",
        str(fw_dir),
        "--mqtt-host",
        host,
        "--mqtt-port",
        str(port),
        "--url-base",
        "https://api.example",
    ]
    topic = ota_topic(tenant, "stable", "rpi4")
    try:
        assert main(["publish", "--version", "2.0.0", "--file", str(artifact), *common]) == 0
        capsys.readouterr()
        manifest = decode(_retained(host, port, topic))
        assert isinstance(manifest, FirmwareManifest)
        assert verify(manifest, public)
        assert manifest.sha256 == hashlib.sha256(artifact.read_bytes()).hexdigest()
        assert (
            manifest.url == f"https://api.example/api/v1/firmware/{manifest.firmware_id}/artifact"
        )
        stored = fw_dir / tenant / f"{manifest.firmware_id}.bin"
        assert stored.read_bytes() == artifact.read_bytes()
        with psycopg.connect(api_dsn) as conn:
            row = conn.execute(
                "SELECT sha256, size, signature FROM firmware WHERE id = %s",
                (manifest.firmware_id,),
            ).fetchone()
        assert row == (manifest.sha256, 50_000, manifest.signature)

        # Same version, same bytes: the same release is announced again.
        assert main(["publish", "--version", "2.0.0", "--file", str(artifact), *common]) == 0
        again = decode(_retained(host, port, topic))
        assert isinstance(again, FirmwareManifest)
        assert (again.firmware_id, again.signature) == (manifest.firmware_id, manifest.signature)
        # Same version, other bytes: refused.
        artifact.write_bytes(b"tampered")
        assert main(["publish", "--version", "2.0.0", "--file", str(artifact), *common]) == 1
        # A manifest altered in transit no longer verifies.
        forged = FirmwareManifest(
            **{
                **{f: getattr(manifest, f) for f in manifest.__struct_fields__},
                "url": "https://evil.example/x",
            }
        )
        assert not verify(forged, public)
    finally:
        _clear(host, port, topic)
