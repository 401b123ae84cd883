"""Pure decisions of the bridge, the Mosquitto config generator, and settings loading."""

from __future__ import annotations

from pathlib import Path

import pytest

import broker.venue
from broker.bridge.metrics import RateMeter
from broker.bridge.policy import backoff_delay, retain_flag, split_window
from broker.bridge.settings import BridgeSettings
from broker.errors import ConfigError
from broker.mosquitto.config import CloudLink, MosquittoSettings, render
from broker.settings_io import load_section
from broker.venue.settings import VenueSettings
from schemas.topics import device_topic, ota_topic


def test_backoff_grows_and_caps_with_jitter() -> None:
    low = [backoff_delay(n, 0.5, 30.0, rand=lambda: 0.0) for n in range(10)]
    high = [backoff_delay(n, 0.5, 30.0, rand=lambda: 1.0) for n in range(10)]
    assert low[:4] == [0.25, 0.5, 1.0, 2.0]
    assert high[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(high) == 30.0 and max(low) == 15.0
    assert backoff_delay(10_000, 0.5, 30.0) <= 30.0


@pytest.mark.parametrize(
    ("room", "share", "backlog_left", "expected"),
    [
        (100, 0.25, True, (75, 25)),
        (100, 0.25, False, (0, 100)),
        (3, 0.25, True, (2, 1)),  # live always gets a slot
        (1, 0.25, True, (0, 1)),
        (10, 0.0, True, (10, 0)),
        (0, 0.25, True, (0, 0)),
    ],
)
def test_split_window(
    room: int, share: float, backlog_left: bool, expected: tuple[int, int]
) -> None:
    assert split_window(room, share, backlog_left) == expected


def test_retain_flag_keeps_contract_retained_kinds() -> None:
    assert retain_flag(device_topic("acme", "bar-1", "tv-1", "status"), False)
    assert not retain_flag(device_topic("acme", "bar-1", "tv-1", "events/ad"), False)
    assert retain_flag(device_topic("acme", "bar-1", "tv-1", "config"), False)
    assert retain_flag(ota_topic("acme", "stable", "pi4"), False)
    assert not retain_flag(device_topic("acme", "bar-1", "tv-1", "cmd"), False)
    assert retain_flag(device_topic("acme", "bar-1", "tv-1", "cmd"), True)
    assert not retain_flag("not/ours", False)


def test_rate_meter_window() -> None:
    meter = RateMeter(window_s=10.0)
    meter.add(50, now=100.0)
    meter.add(50, now=105.0)
    assert meter.rate(now=106.0) == 10.0
    assert meter.rate(now=112.0) == 5.0


def test_mosquitto_render_has_acl_and_bridge() -> None:
    settings = MosquittoSettings(
        tenant="acme",
        location="bar-1",
        password_file="p",
        cloud=CloudLink(
            host="cloud.example", port=8883, username="u", password="pw", cafile="/ca.pem"
        ),
    )
    files = render(settings, "/etc/m/passwd", "/etc/m/acl")
    assert "allow_anonymous false" in files.conf
    assert "topic adwatch/v1/acme/bar-1/+/events/ad out 1" in files.conf
    assert "topic adwatch/v1/acme/ota/+/+ in 1" in files.conf
    assert "bridge_cafile /ca.pem" in files.conf
    assert "pattern write adwatch/v1/acme/bar-1/%u/events/ad" in files.acl
    assert "pattern read adwatch/v1/acme/bar-1/%u/cmd" in files.acl
    assert "user coordinator\ntopic readwrite adwatch/v1/acme/#" in files.acl
    assert "pattern write adwatch/v1/acme/bar-1/%u/config" not in files.acl


def test_example_config_parses() -> None:
    example = Path(broker.venue.__file__).parent / "example.toml"
    env: dict[str, str] = {"ADWATCH_VENUE_PORT": "1884"}
    venue = load_section(VenueSettings, example, "venue", "ADWATCH_VENUE_", env)
    bridge = load_section(BridgeSettings, example, "bridge", "ADWATCH_BRIDGE_", env)
    mosquitto = load_section(MosquittoSettings, example, "mosquitto", "ADWATCH_MOSQUITTO_", env)
    assert venue.port == 1884  # environment wins over the file
    assert venue.password_file == str(example.parent / "venue.passwd")  # relative to the file
    assert bridge.cloud.tls and bridge.window == 200
    assert mosquitto.cloud is not None and mosquitto.cloud.port == 8883


def test_unknown_keys_are_errors(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[venue]\ntenant = "acme"\nlocation = "bar-1"\ndev = true\nprot = 1\n')
    with pytest.raises(ConfigError, match="prot"):
        load_section(VenueSettings, config, "venue", "ADWATCH_VENUE_", {})
