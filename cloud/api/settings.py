"""The read API's configuration: one typed tree, loaded once in ``main()``.

Sources, later wins: defaults, a TOML file (``--config``), then the environment.
Every leaf has an environment name built from its path, e.g. ``jwt.secret`` is
``ADWATCH_API_JWT_SECRET`` and ``cache.analytics_ttl_s`` is
``ADWATCH_API_CACHE_ANALYTICS_TTL_S``; the stack's ``ADWATCH_PG_DSN`` and
``ADWATCH_REDIS_URL`` are read too. Unknown TOML keys are errors.

The worker processes of a multi-worker server do not re-read the environment:
``main()`` hands them the resolved tree as JSON (:func:`encode` / :func:`decode`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec

from cloud.api.errors import ConfigError

ENV_PREFIX = "ADWATCH_API_"
ALIASES = {"ADWATCH_PG_DSN": ("pg_dsn",), "ADWATCH_REDIS_URL": ("redis_url",)}


class _Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class JwtSettings(_Section, frozen=True):
    """Bearer tokens. HS256 uses ``secret``; RS256 verifies with ``public_key``."""

    algorithm: Literal["HS256", "RS256"] = "HS256"
    secret: str = ""
    public_key_file: str = ""
    private_key_file: str = ""  # only ``token issue`` needs it
    issuer: str = "adwatch"
    audience: str = "adwatch-api"
    leeway_s: float = 5.0


class RateLimitSettings(_Section, frozen=True):
    """Token bucket (GCRA) per bearer token and per client IP, shared through Redis."""

    enabled: bool = True
    per_token_rate: float = 50.0  # requests per second, sustained
    per_token_burst: int = 100
    per_ip_rate: float = 100.0
    per_ip_burst: int = 200


class CacheSettings(_Section, frozen=True):
    enabled: bool = True
    device_list_ttl_s: int = 60
    analytics_ttl_s: int = 300


class ApiSettings(_Section, frozen=True):
    pg_dsn: str = "postgresql://adwatch:adwatch@127.0.0.1:55432/adwatch"
    redis_url: str = "redis://127.0.0.1:56379/0"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    pool_min: int = 1
    pool_max: int = 8
    statement_timeout_ms: int = 5000
    max_request_bytes: int = 64 * 1024
    cors_origins: list[str] = msgspec.field(default_factory=list)
    trusted_proxies: list[str] = msgspec.field(default_factory=list)  # honour X-Forwarded-For
    firmware_dir: str = "run/firmware"
    key_prefix: str = "adwatch:api"  # this API's own Redis keys (cache, rate limits)
    state_prefix: str = "adwatch:v1"  # cloud.state's Redis key prefix
    online_ttl_s: float = 90.0  # as cloud.state: seen within this long = online
    log_level: str = "info"
    access_log: bool = True
    jwt: JwtSettings = msgspec.field(default_factory=JwtSettings)
    rate_limit: RateLimitSettings = msgspec.field(default_factory=RateLimitSettings)
    cache: CacheSettings = msgspec.field(default_factory=CacheSettings)


def _env_paths(cls: type[msgspec.Struct], prefix: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for field in msgspec.structs.fields(cls):
        path = (*prefix, field.name)
        if isinstance(field.type, type) and issubclass(field.type, _Section):
            out.update(_env_paths(field.type, path))
        else:
            out[ENV_PREFIX + "_".join(path).upper()] = path
    return out


def _set(tree: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def _env_value(name: str, raw: str) -> object:
    if name.endswith(("_ORIGINS", "_PROXIES")):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load(config_file: Path | None, env: Mapping[str, str]) -> ApiSettings:
    """Defaults ← TOML file ← environment; raises ConfigError with the reason."""
    tree: dict[str, Any] = {}
    if config_file is not None:
        try:
            tree = tomllib.loads(config_file.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {config_file}: {exc}") from exc
        tree = tree.get("api", tree)
    names = {**_env_paths(ApiSettings, ()), **ALIASES}
    for name, path in names.items():
        if name in env:
            _set(tree, path, _env_value(name, env[name]))
    try:
        settings = msgspec.convert(tree, ApiSettings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid API settings: {exc}") from exc
    check(settings)
    return settings


def check(settings: ApiSettings) -> None:
    """Cross-field rules: a server without a way to verify tokens must not start."""
    jwt = settings.jwt
    if jwt.algorithm == "HS256" and len(jwt.secret) < 32:
        raise ConfigError("jwt.secret must be at least 32 characters for HS256")
    if jwt.algorithm == "RS256" and not jwt.public_key_file:
        raise ConfigError("jwt.public_key_file is required for RS256")
    if settings.workers < 1 or settings.pool_max < settings.pool_min:
        raise ConfigError("workers must be >= 1 and pool_max >= pool_min")


def encode(settings: ApiSettings) -> str:
    return msgspec.json.encode(settings).decode()


def decode(text: str) -> ApiSettings:
    try:
        return msgspec.json.decode(text, type=ApiSettings)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"invalid serialized settings: {exc}") from exc
