"""Detector settings from a TOML file (``[detect]`` table) and the environment.

Environment variables ``ADWATCH_DETECT_<FIELD>`` (e.g. ``ADWATCH_DETECT_THRESHOLD``)
override the file. Unknown keys are errors. Called from ``main()`` only.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from edge.detect.engine import DetectSettings
from edge.detect.errors import DetectError

ENV_PREFIX = "ADWATCH_DETECT_"


def settings_from(values: Mapping[str, Any]) -> DetectSettings:
    fields = {f.name for f in dataclasses.fields(DetectSettings)}
    unknown = set(values) - fields
    if unknown:
        raise DetectError(f"unknown detect setting(s): {', '.join(sorted(unknown))}")
    try:
        settings = DetectSettings(**{k: float(v) for k, v in values.items()})
    except (TypeError, ValueError) as exc:
        raise DetectError(f"bad detect setting: {exc}") from exc
    settings.validate()
    return settings


def load_settings(path: Path | None, environ: Mapping[str, str]) -> DetectSettings:
    values: dict[str, Any] = {}
    if path is not None:
        try:
            doc = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DetectError(f"cannot read config {path}: {exc}") from exc
        table = doc.get("detect", {})
        if not isinstance(table, dict):
            raise DetectError(f"{path}: [detect] must be a table")
        values.update(table)
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX):
            values[key[len(ENV_PREFIX) :].lower()] = raw
    return settings_from(values)
