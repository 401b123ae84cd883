"""Settings: defaults ← TOML ← environment, unknown keys and weak secrets refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.api import settings as st
from cloud.api.edge import client_ip
from cloud.api.errors import ConfigError

SECRET = {"ADWATCH_API_JWT_SECRET": "x" * 32}


def test_env_overrides_file(tmp_path: Path) -> None:
    cfg = tmp_path / "api.toml"
    cfg.write_text("[api]\nport = 9000\nworkers = 2\n[api.cache]\nanalytics_ttl_s = 10\n")
    env = {
        **SECRET,
        "ADWATCH_API_PORT": "9100",
        "ADWATCH_PG_DSN": "postgresql://x/y",
        "ADWATCH_API_CORS_ORIGINS": "https://a.example, https://b.example",
        "ADWATCH_API_RATE_LIMIT_PER_IP_BURST": "7",
    }
    s = st.load(cfg, env)
    assert (s.port, s.workers, s.pg_dsn) == (9100, 2, "postgresql://x/y")
    assert s.cache.analytics_ttl_s == 10 and s.cache.device_list_ttl_s == 60
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert s.rate_limit.per_ip_burst == 7
    assert st.decode(st.encode(s)) == s


def test_unknown_keys_are_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "api.toml"
    cfg.write_text("[api]\nprot = 9000\n")
    with pytest.raises(ConfigError, match="prot"):
        st.load(cfg, SECRET)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"ADWATCH_API_JWT_SECRET": "short"},
        {**SECRET, "ADWATCH_API_PORT": "http"},
        {"ADWATCH_API_JWT_ALGORITHM": "RS256"},
        {**SECRET, "ADWATCH_API_JWT_ALGORITHM": "none"},
    ],
)
def test_unusable_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        st.load(None, env)


def test_client_ip_trusts_forwarded_only_from_proxies() -> None:
    scope = {"client": ("10.0.0.5", 1), "headers": [(b"x-forwarded-for", b"1.2.3.4, 5.6.7.8")]}
    assert client_ip(scope, frozenset()) == "10.0.0.5"
    assert client_ip(scope, frozenset({"10.0.0.5"})) == "5.6.7.8"
    bad = {"client": ("10.0.0.5", 1), "headers": [(b"x-forwarded-for", b"nonsense")]}
    assert client_ip(bad, frozenset({"10.0.0.5"})) == "10.0.0.5"
