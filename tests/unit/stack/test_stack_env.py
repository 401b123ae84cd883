"""tests.support.stack: reading run/stack.env with environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.stack import STACK_KEYS, parse_env_file, read_stack_env


def test_parse_env_file_ignores_comments_and_strips_quotes() -> None:
    text = "# header\n\nA=1\nexport B='two words'\nC=\"x=y\"\nnot a pair\n"
    assert parse_env_file(text) == {"A": "1", "B": "two words", "C": "x=y"}


def test_read_stack_env_environment_overrides_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in STACK_KEYS:
        monkeypatch.delenv(key, raising=False)
    env_file = tmp_path / "stack.env"
    env_file.write_text(
        "ADWATCH_REDIS_URL=redis://127.0.0.1:56379/0\nADWATCH_MQTT_PORT=51883\nUNRELATED=1\n"
    )
    monkeypatch.setenv("ADWATCH_MQTT_PORT", "1999")
    assert read_stack_env(env_file) == {
        "ADWATCH_REDIS_URL": "redis://127.0.0.1:56379/0",
        "ADWATCH_MQTT_PORT": "1999",
    }


def test_read_stack_env_without_file_uses_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in STACK_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ADWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    assert read_stack_env(tmp_path / "missing.env") == {"ADWATCH_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
