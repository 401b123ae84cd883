"""Publish a release: store it, sign its manifest, announce it retained on the OTA topic.

Re-publishing the same version with the same bytes re-announces the stored release
with the same firmware id and signature (Ed25519 signatures are deterministic); the
same version with different bytes is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.firmware import store
from cloud.firmware.errors import FirmwareError
from cloud.firmware.signing import sign, signing_payload
from schemas.codec import encode
from schemas.ids import utc_now
from schemas.messages import FirmwareManifest
from schemas.topics import ota_topic

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Target:
    """Where releases go: the database, the artifact folder, the MQTT broker, the URL base."""

    pg_dsn: str
    firmware_dir: Path
    mqtt_host: str
    mqtt_port: int
    url_base: str
    mqtt_username: str | None = None
    mqtt_password: str | None = None


@dataclass(frozen=True, slots=True)
class Request:
    tenant: str
    channel: str
    hardware: str
    version: str
    file: Path
    notes: str = ""


def manifest_for(release: store.Release, url_base: str, key: Ed25519PrivateKey) -> FirmwareManifest:
    unsigned = FirmwareManifest.new(
        firmware_id=release.firmware_id,
        version=release.version,
        channel=release.channel,
        hardware=release.hardware,
        sha256=release.sha256,
        size=release.size,
        url=url_base.rstrip("/") + store.artifact_path(release.firmware_id),
        signature="",
        released_at=release.released_at,
        notes=release.notes,
    )
    return FirmwareManifest(
        **{
            **{f: getattr(unsigned, f) for f in unsigned.__struct_fields__},
            "signature": sign(signing_payload(unsigned), key),
        }
    )


def _record(target: Target, req: Request, key: Ed25519PrivateKey) -> FirmwareManifest:
    sha, size = store.digest(req.file)
    with psycopg.connect(target.pg_dsn, autocommit=True) as conn:
        row = store.existing(conn, req.tenant, req.channel, req.hardware, req.version)
        if row is not None:
            if row[1] != sha:
                raise FirmwareError(f"version {req.version} was already released with other bytes")
            release = store.Release(
                row[0],
                req.tenant,
                req.version,
                req.channel,
                req.hardware,
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
            )
            return manifest_for(release, target.url_base, key)
        fw_id = store.new_firmware_id()
        rel_path = store.copy_artifact(req.file, target.firmware_dir, req.tenant, fw_id)
        release = store.Release(
            fw_id,
            req.tenant,
            req.version,
            req.channel,
            req.hardware,
            sha,
            size,
            rel_path,
            utc_now(),
            req.notes,
        )
        manifest = manifest_for(release, target.url_base, key)
        store.insert(conn, release, manifest.signature)
        return manifest


def announce(
    target: Target, tenant: str, manifest: FirmwareManifest, timeout_s: float = 10.0
) -> None:
    """Publish the manifest retained (QoS 1) and wait for the broker's PUBACK."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"adwatch-fw-{uuid.uuid4().hex[:8]}"
    )
    if target.mqtt_username:
        client.username_pw_set(target.mqtt_username, target.mqtt_password)
    topic = ota_topic(tenant, manifest.channel, manifest.hardware)
    try:
        client.connect(target.mqtt_host, target.mqtt_port, keepalive=30)
        client.loop_start()
        info = client.publish(topic, encode(manifest), qos=1, retain=True)
        info.wait_for_publish(timeout=timeout_s)
        if not info.is_published():
            raise FirmwareError(f"the broker did not acknowledge {topic} within {timeout_s} s")
    except (OSError, ValueError, RuntimeError) as exc:
        raise FirmwareError(f"cannot announce on {topic}: {exc}") from exc
    finally:
        client.disconnect()
        client.loop_stop()
    log.info(
        "firmware_announced",
        topic=topic,
        firmware_id=manifest.firmware_id,
        version=manifest.version,
        sha256=manifest.sha256,
    )


def publish(target: Target, req: Request, key: Ed25519PrivateKey) -> FirmwareManifest:
    manifest = _record(target, req, key)
    announce(target, req.tenant, manifest)
    return manifest
