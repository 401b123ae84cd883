"""Pure parts of the TV plugins: actions, key maps, registry, request rendering."""

from __future__ import annotations

import pytest

from edge.tv.base import TvAction
from edge.tv.cec import CecConfig, CecController
from edge.tv.errors import TvConfigError, TvUnsupported
from edge.tv.keymap import builtin_names, load_keymap
from edge.tv.registry import REGISTRY, build_controller
from edge.tv.roku import RokuConfig, RokuController
from edge.tv.webhook import WebhookConfig, WebhookController, WebhookRequest


def test_actions_validate_their_argument() -> None:
    with pytest.raises(ValueError, match="needs an argument"):
        TvAction("input")
    with pytest.raises(ValueError, match="takes no argument"):
        TvAction("mute", "x")
    with pytest.raises(ValueError, match="digits"):
        TvAction("channel", "BBC")
    assert str(TvAction("channel", "12")) == "channel 12"


def test_at_least_three_builtin_keymaps_cover_every_action() -> None:
    names = builtin_names()
    assert {"samsung", "lg", "sony"} <= set(names)
    for name in names:
        km = load_keymap(name)
        for kind in ("mute", "unmute", "power_on", "standby"):
            assert km.keys_for(TvAction(kind))  # type: ignore[arg-type]
        assert km.keys_for(TvAction("input", "HDMI1"))
    assert load_keymap("samsung").keys_for(TvAction("channel", "105")) == [
        "KEY_1",
        "KEY_0",
        "KEY_5",
        "KEY_ENTER",
    ]
    assert load_keymap("sony").keys_for(TvAction("channel", "7")) == ["KEY_7"]


def test_keymap_errors() -> None:
    with pytest.raises(TvConfigError, match=r"not found.*built-in key maps: lg, samsung, sony"):
        load_keymap("philips")
    with pytest.raises(TvUnsupported, match="no input 'scart'"):
        load_keymap("lg").keys_for(TvAction("input", "scart"))


def test_registry_is_explicit_and_rejects_unknown_types_and_fields() -> None:
    assert sorted(REGISTRY) == ["cec", "lirc", "roku", "webhook"]
    with pytest.raises(TvConfigError, match="unknown TV controller type None"):
        build_controller({"host": "x"})
    with pytest.raises(TvConfigError, match=r"unknown field `colour`"):
        build_controller({"type": "cec", "colour": 1})
    with pytest.raises(TvConfigError, match="`host` is required"):
        build_controller({"type": "roku"})
    with pytest.raises(TvConfigError, match="not a physical address"):
        build_controller({"type": "cec", "inputs": {"console": "3.1"}})


def test_cec_frames() -> None:
    ctl = CecController(CecConfig(own_address=4, tv_address=0, inputs={"game": "1.2.0.0"}))
    assert ctl.commands_for(TvAction("mute")) == ["tx 40:44:65", "tx 40:45"]
    assert ctl.commands_for(TvAction("input", "hdmi3")) == ["tx 4F:86:30:00"]
    assert ctl.commands_for(TvAction("input", "game")) == ["tx 4F:86:12:00"]
    assert ctl.commands_for(TvAction("channel", "10")) == [
        "tx 40:44:21",
        "tx 40:45",
        "tx 40:44:20",
        "tx 40:45",
    ]


def test_roku_paths() -> None:
    roku = RokuController(RokuConfig(host="10.0.0.5", inputs={"console": "InputHDMI3"}))
    assert roku.path_for(TvAction("unmute")) == "/keypress/VolumeMute"
    assert roku.path_for(TvAction("input", "Console")) == "/keypress/InputHDMI3"
    assert roku.path_for(TvAction("channel", "5")) == "/launch/tvinput.dtv?ch=5"
    with pytest.raises(TvUnsupported):
        roku.path_for(TvAction("input", "vga"))


def test_webhook_rendering() -> None:
    hook = WebhookController(
        WebhookConfig(
            url="http://ha.local/api/$action",
            actions={"mute": WebhookRequest(body='{"muted": $muted}')},
        )
    )
    assert hook.render(TvAction("mute")) == ("POST", "http://ha.local/api/mute", b'{"muted": true}')
    assert hook.render(TvAction("input", "hdmi1"))[2] == b'{"action": "input", "arg": "hdmi1"}'
    only = WebhookController(
        WebhookConfig(only_listed_actions=True, actions={"mute": WebhookRequest(url="http://x/")})
    )
    with pytest.raises(TvUnsupported):
        only.render(TvAction("standby"))
    with pytest.raises(TvConfigError, match="go together"):
        WebhookController(WebhookConfig(url="http://x", state_url="http://x/state"))
