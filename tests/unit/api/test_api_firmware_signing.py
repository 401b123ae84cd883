"""Manifest signatures: a signed manifest verifies; any change to a signed field breaks it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.firmware.publish import manifest_for
from cloud.firmware.signing import verify
from cloud.firmware.store import Release
from schemas.messages import FirmwareManifest

KEY = Ed25519PrivateKey.generate()
RELEASE = Release(
    "fw-1",
    "acme",
    "1.2.3",
    "stable",
    "rpi4",
    "a" * 64,
    1234,
    "acme/fw-1.bin",
    datetime(2026, 5, 1, tzinfo=UTC),
)


def _with(m: FirmwareManifest, **changes: object) -> FirmwareManifest:
    return FirmwareManifest(**{**{f: getattr(m, f) for f in m.__struct_fields__}, **changes})


def test_signed_manifest_verifies_and_is_deterministic() -> None:
    m = manifest_for(RELEASE, "https://api.example/", KEY)
    assert m.url == "https://api.example/api/v1/firmware/fw-1/artifact"
    assert verify(m, KEY.public_key())
    assert manifest_for(RELEASE, "https://api.example", KEY).signature == m.signature


@pytest.mark.parametrize(
    "change",
    [
        {"sha256": "b" * 64},
        {"size": 1},
        {"url": "https://evil/x"},
        {"version": "9"},
        {"hardware": "rpi5"},
        {"channel": "beta"},
        {"firmware_id": "fw-2"},
        {"released_at": datetime(2027, 1, 1, tzinfo=UTC)},
        {"signature": "not base64!"},
    ],
)
def test_tampering_is_detected(change: dict[str, object]) -> None:
    m = manifest_for(RELEASE, "https://api.example", KEY)
    assert not verify(_with(m, **change), KEY.public_key())


def test_other_key_does_not_verify() -> None:
    m = manifest_for(RELEASE, "https://api.example", KEY)
    assert not verify(m, Ed25519PrivateKey.generate().public_key())
