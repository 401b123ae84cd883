"""Response bodies of the firmware endpoints."""

from __future__ import annotations

from datetime import datetime

import msgspec


class RolloutView(msgspec.Struct, frozen=True, kw_only=True):
    """Admin only: how far a release is rolled out."""

    id: str
    state: str
    percent: int
    created_at: datetime
    updated_at: datetime


class ManifestView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    version: str
    channel: str
    hardware: str
    sha256: str
    size: int
    signature: str
    notes: str
    released_at: datetime
    artifact_url: str
    rollouts: list[RolloutView] | None = None


class ManifestList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ManifestView]


class Artifact(msgspec.Struct, frozen=True, kw_only=True):
    """Where a release's file is and what it must hash to."""

    id: str
    version: str
    path: str
    sha256: str
    size: int
