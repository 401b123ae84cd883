"""Load one typed settings section from a TOML file plus ``ADWATCH_*`` environment overrides.

Used by every ``adwatch-broker`` sub-command in ``main()``; nothing reads the
environment at import time. Unknown keys are errors (the Structs forbid them).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from broker.errors import ConfigError

T = TypeVar("T")


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc


def env_overrides(prefix: str, environ: Mapping[str, str]) -> dict[str, str]:
    """``{field: text}`` for ``{prefix}FIELD=text`` variables (field lower-cased)."""
    return {k[len(prefix) :].lower(): v for k, v in environ.items() if k.startswith(prefix)}


def build(type_: type[T], data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> T:
    """A settings Struct from ``data`` with ``env`` text values overriding top-level fields."""
    merged: dict[str, Any] = dict(data)
    for key, text in (env or {}).items():
        merged[key] = _parse_env_value(text)
    try:
        return msgspec.convert(merged, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"bad {type_.__name__}: {exc}") from exc


def load_section(
    type_: type[T],
    path: str | os.PathLike[str] | None,
    section: str,
    env_prefix: str,
    environ: Mapping[str, str] | None = None,
) -> T:
    """``[section]`` of the TOML file at ``path`` (may be None) overridden by the environment."""
    data: dict[str, Any] = {}
    if path is not None:
        doc = read_toml(path)
        value = doc.get(section, {})
        if not isinstance(value, dict):
            raise ConfigError(f"[{section}] in {path} must be a table")
        data = value
        base = Path(path).parent
        data = {k: _relative(base, k, v) for k, v in data.items()}
    env = env_overrides(env_prefix, os.environ if environ is None else environ)
    return build(type_, data, env)


def _relative(base: Path, key: str, value: Any) -> Any:
    """Paths in a config file are relative to the file, not to the working directory."""
    if (
        (key.endswith("_file") or key.endswith("_path") or key.endswith("_dir"))
        and isinstance(value, str)
        and value
        and not Path(value).is_absolute()
    ):
        return str(base / value)
    return value


def _parse_env_value(text: str) -> Any:
    """Environment values are TOML scalars/arrays when they parse as such, else strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
