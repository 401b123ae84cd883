"""Where the local service stack (ops/stack) is: run/stack.env, overridden by the environment."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_ENV_FILE = REPO_ROOT / "run" / "stack.env"
STACK_KEYS = (
    "ADWATCH_PG_DSN",
    "ADWATCH_PG_ADMIN_DSN",
    "ADWATCH_REDIS_URL",
    "ADWATCH_MQTT_HOST",
    "ADWATCH_MQTT_PORT",
    "ADWATCH_KAFKA_BOOTSTRAP",
    "ADWATCH_TIMESCALE_DSN",
)


def parse_env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored; surrounding quotes stripped."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value
    return out


def read_stack_env(path: Path = STACK_ENV_FILE) -> dict[str, str]:
    """The stack's settings: the file written by `ops/stack up`, then environment overrides."""
    env: dict[str, str] = {}
    if path.exists():
        env.update({k: v for k, v in parse_env_file(path.read_text()).items() if k in STACK_KEYS})
    env.update({k: os.environ[k] for k in STACK_KEYS if os.environ.get(k)})
    return env


def stack_required() -> bool:
    """True under `make test` (ADWATCH_REQUIRE_STACK=1): a missing service fails, not skips."""
    return os.environ.get("ADWATCH_REQUIRE_STACK") == "1"
