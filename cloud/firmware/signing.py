"""Ed25519 signatures of firmware manifests (pure functions).

The signature covers a canonical text of every field a device acts on, one per
line: firmware id, version, channel, hardware, sha256, size, released_at (ISO-8601
UTC), url. Devices verify it with the fleet's public key before downloading, and
then check the file against ``sha256``. The value is base64 (88 characters).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cloud.firmware.errors import FirmwareError
from schemas.messages import FirmwareManifest


def signing_payload(m: FirmwareManifest) -> bytes:
    fields = (
        m.firmware_id,
        m.version,
        m.channel,
        m.hardware,
        m.sha256,
        str(m.size),
        m.released_at.isoformat(),
        m.url,
    )
    return "\n".join(fields).encode()


def sign(payload: bytes, key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.sign(payload)).decode()


def verify(m: FirmwareManifest, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(m.signature, validate=True), signing_payload(m))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def generate_key(path: Path) -> Ed25519PublicKey:
    """Write a new private key (PEM, mode 0600) to ``path``; returns its public half."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(pem)
    return key.public_key()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise FirmwareError(f"cannot load signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise FirmwareError(f"{path} is not an Ed25519 private key")
    return key


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
