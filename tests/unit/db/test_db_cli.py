"""``adwatch-cloud db``: help, config file and DSN resolution (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.db.cli import main


@pytest.mark.parametrize("action", ["migrate", "downgrade", "current", "upkeep", "seed", "grafana"])
def test_every_action_has_help(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([action, "--help"])
    assert exc.value.code == 0
    assert "usage: adwatch-cloud db" in capsys.readouterr().out


def test_unknown_config_key_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "db.toml"
    cfg.write_text('[db]\ndsn = "postgresql://x@127.0.0.1:1/x"\nretension_days = 3\n')
    assert main(["--config", str(cfg), "current"]) == 1


def test_missing_dsn_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADWATCH_DB_DSN", raising=False)
    monkeypatch.delenv("ADWATCH_PG_DSN", raising=False)
    assert main(["upkeep"]) == 1


@pytest.mark.parametrize("action", ["current", "upkeep", "seed"])
def test_unreachable_database_fails_cleanly(action: str) -> None:
    # Port 1 on loopback refuses at once: a clean exit code, not a traceback.
    assert main(["--dsn", "postgresql://x:y@127.0.0.1:1/x?connect_timeout=2", action]) == 1
