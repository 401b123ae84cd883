"""Config validation: the Raft password is required and the error says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge.coordinator.cli import main
from edge.coordinator.config import PASSWORD_ENV, parse_config
from edge.coordinator.errors import ConfigError
from edge.coordinator.services import BROKERS, pick

GOOD_PASSWORD = "correct horse battery staple"


def tree(**raft: Any) -> dict[str, Any]:
    return {
        "node": {"id": "n1", "tenant": "acme", "location": "bar-1", "data_dir": "/tmp/x"},
        "raft": {"bind": "127.0.0.1:7001", "peers": ["127.0.0.1:7002"], **raft},
        "discovery": {"advertise_host": "127.0.0.1"},
        "registry": {"username": "coordinator"},
    }


def test_valid_config() -> None:
    cfg = parse_config(tree(password=GOOD_PASSWORD), {})
    assert cfg.raft.password == GOOD_PASSWORD
    assert cfg.broker.type == "venue" and cfg.bridge.type == "venue"


def test_missing_password_is_refused_with_reason() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(tree(), {})
    text = str(err.value)
    assert "raft.password is required" in text
    assert "forge" in text and PASSWORD_ENV in text


def test_short_password_is_refused() -> None:
    with pytest.raises(ConfigError, match="too short"):
        parse_config(tree(password="hunter2"), {})


def test_password_from_environment() -> None:
    cfg = parse_config(tree(), {PASSWORD_ENV: GOOD_PASSWORD})
    assert cfg.raft.password == GOOD_PASSWORD


@pytest.mark.parametrize(
    ("raft", "match"),
    [
        ({"peers": ["127.0.0.1:7001"]}, "own address"),
        ({"peers": ["127.0.0.1:7002", "127.0.0.1:7002"]}, "twice"),
        ({"election_timeout_min_s": 2.0, "election_timeout_max_s": 1.0}, "below"),
        ({"heartbeat_s": 0.3}, "third"),
        ({"bind": "no-port"}, "invalid coordinator config"),
        ({"surprise": 1}, "invalid coordinator config"),
    ],
)
def test_bad_raft_sections(raft: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_config(tree(password=GOOD_PASSWORD, **raft), {})


def test_unknown_top_level_key_is_an_error() -> None:
    data = tree(password=GOOD_PASSWORD) | {"raf": {}}
    with pytest.raises(ConfigError, match="invalid coordinator config"):
        parse_config(data, {})


def test_unknown_broker_type_fails_clearly() -> None:
    with pytest.raises(ConfigError, match=r"unknown broker\.type 'kafka'; known: amqtt, venue"):
        pick(BROKERS, "broker", "kafka")


def test_cli_refuses_to_start_without_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    path = tmp_path / "c.toml"
    path.write_text(
        '[node]\nid="n1"\ntenant="acme"\nlocation="bar-1"\ndata_dir="/tmp/x"\n'
        '[raft]\nbind="127.0.0.1:7001"\npeers=[]\n'
        '[discovery]\nadvertise_host="127.0.0.1"\n'
    )
    assert main(["--config", str(path)]) == 2
    assert "raft.password is required" in capsys.readouterr().err


def test_cli_check_accepts_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[node]\nid="n1"\ntenant="acme"\nlocation="bar-1"\ndata_dir="/tmp/x"\n'
        f'[raft]\nbind="127.0.0.1:7001"\npeers=[]\npassword="{GOOD_PASSWORD}"\n'
        '[discovery]\nadvertise_host="127.0.0.1"\n'
        '[broker]\ntype="amqtt"\n[bridge]\ntype="none"\n'
    )
    assert main(["--config", str(path), "--check"]) == 0


def test_feeder_needs_a_login_on_an_authenticating_broker() -> None:
    data = tree(password=GOOD_PASSWORD) | {"broker": {"type": "venue"}}
    del data["registry"]
    with pytest.raises(ConfigError, match=r"registry\.username is required"):
        parse_config(data, {})
    parse_config(data | {"registry": {"feed": False}}, {})
    parse_config(data | {"registry": {"username": "coordinator"}}, {})


def test_example_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    import edge.coordinator

    example = Path(edge.coordinator.__file__).with_name("coordinator.example.toml")
    assert main(["--config", str(example), "--check"]) == 0
