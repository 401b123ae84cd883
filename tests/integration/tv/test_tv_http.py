"""Roku ECP and the webhook plugin against a small real HTTP server; `tv try`; bad config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edge.policy import BreakBegan, BreakFinished, PolicyConfig, initial_state, next_state
from edge.tv.base import TvAction
from edge.tv.chain import ControllerChain, TvSettings, build_chain
from edge.tv.errors import TvConfigError
from edge.tv.roku import RokuConfig, RokuController
from edge.tv.webhook import WebhookConfig, WebhookController, WebhookRequest
from tests.support.fake_roku import TvState, run_fake_roku
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def play_break(chain: ControllerChain, cfg: PolicyConfig, muted_known: bool) -> None:
    """Drive the pure policy through one break and execute its actions on the chain."""
    state = initial_state(cfg)
    tv_muted = await chain.mute_state() if muted_known else None
    for event in (BreakBegan("b1", 10.0, 11.5, tv_muted), BreakFinished("b1", 60.0)):
        state, actions = next_state(state, event, cfg)
        for action in actions:
            assert (await chain.perform(action)).ok


async def test_roku_break_mutes_at_start_and_unmutes_at_end() -> None:
    with run_fake_roku() as (host, port, tv):
        chain = ControllerChain([RokuController(RokuConfig(host=host, port=port))])
        await play_break(chain, PolicyConfig(action="mute"), muted_known=False)
        assert tv.keypresses() == ["keypress/VolumeMute", "keypress/VolumeMute"]
        assert tv.muted is False


async def test_roku_already_muted_tv_gets_no_presses() -> None:
    # Roku cannot report mute; the installer says the TV is kept muted (initially_muted).
    with run_fake_roku(TvState(muted=True)) as (host, port, tv):
        chain = ControllerChain([RokuController(RokuConfig(host=host, port=port))])
        await play_break(chain, PolicyConfig(action="mute", initially_muted=True), False)
        assert tv.keypresses() == []
        assert tv.muted is True


async def test_webhook_reports_mute_state_so_a_muted_tv_is_never_unmuted() -> None:
    with run_fake_roku(TvState(muted=True)) as (host, port, tv):
        base = f"http://{host}:{port}"
        hook = WebhookController(
            WebhookConfig(
                url=f"{base}/hook/media_player/volume_mute",
                body='{"entity_id": "media_player.tv", "is_volume_muted": $muted}',
                state_url=f"{base}/state",
                muted_field="attributes.is_volume_muted",
            )
        )
        chain = ControllerChain([hook])
        await play_break(chain, PolicyConfig(action="mute"), muted_known=True)
        assert tv.hooks == []
        tv.muted = False
        await play_break(chain, PolicyConfig(action="mute"), muted_known=True)
        assert [h[2] for h in tv.hooks] == [
            '{"entity_id": "media_player.tv", "is_volume_muted": true}',
            '{"entity_id": "media_player.tv", "is_volume_muted": false}',
        ]


async def test_roku_inputs_channels_power_and_device_info() -> None:
    with run_fake_roku() as (host, port, tv):
        roku = RokuController(RokuConfig(host=host, port=port))
        await roku.check()
        assert (await roku.device_info())["model-name"] == "TCL 55R617"
        for action in (
            TvAction("input", "hdmi2"),
            TvAction("channel", "7"),
            TvAction("standby"),
            TvAction("power_on"),
        ):
            await roku.perform(action)
        assert tv.keypresses() == [
            "keypress/InputHDMI2",
            "launch/tvinput.dtv?ch=7",
            "keypress/PowerOff",
            "keypress/PowerOn",
        ]


async def test_webhook_per_action_method_and_url() -> None:
    with run_fake_roku() as (host, port, tv):
        hook = WebhookController(
            WebhookConfig(
                url=f"http://{host}:{port}/hook/default",
                actions={
                    "input": WebhookRequest(
                        method="PUT", url=f"http://{host}:{port}/hook/in/$arg", body=""
                    )
                },
            )
        )
        await hook.perform(TvAction("input", "hdmi3"))
        await hook.perform(TvAction("standby"))
        assert tv.hooks == [
            ("PUT", "/hook/in/hdmi3", ""),
            ("POST", "/hook/default", '{"action": "standby", "arg": ""}'),
        ]


async def test_unreachable_and_failing_tv_are_clear_errors_and_chain_falls_back() -> None:
    dead = RokuController(
        RokuConfig(name="roku-dead", host="127.0.0.1", port=free_port(), timeout_s=1)
    )
    with run_fake_roku(TvState(fail_with=503)) as (h1, p1, _), run_fake_roku() as (h2, p2, tv2):
        failing = RokuController(RokuConfig(name="roku-503", host=h1, port=p1))
        good = RokuController(RokuConfig(name="roku-ok", host=h2, port=p2))
        result = await ControllerChain([dead, failing, good], 3).perform(TvAction("mute"))
        assert result.acted_by == "roku-ok"
        assert "unreachable" in result.attempts[0].error
        assert "HTTP 503" in result.attempts[1].error
        assert tv2.keypresses() == ["keypress/VolumeMute"]


async def test_slow_tv_times_out_instead_of_hanging() -> None:
    with run_fake_roku(TvState(delay_s=3)) as (host, port, _):
        roku = RokuController(RokuConfig(host=host, port=port, timeout_s=10))
        result = await ControllerChain([roku], timeout_s=0.5).perform(TvAction("mute"))
        assert not result.ok
        assert "timed out after 0.5s" in result.describe()


def test_bad_config_unknown_type_and_missing_keymap() -> None:
    with pytest.raises(
        TvConfigError,
        match=r"unknown TV controller type 'zigbee'; known types: cec, lirc, roku, webhook",
    ):
        build_chain(TvSettings(controllers=[{"type": "zigbee"}]))
    with pytest.raises(TvConfigError, match="key map 'philips' not found"):
        build_chain(TvSettings(controllers=[{"type": "lirc", "keymap": "philips"}]))
    with pytest.raises(TvConfigError, match=r"roku.*colour"):
        build_chain(TvSettings(controllers=[{"type": "roku", "host": "x", "colour": "red"}]))


def tv_try(config: Path, *action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", "tv", "try", "--config", str(config), *action],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_tv_try_cli_reports_who_acted_and_exit_codes(tmp_path: Path) -> None:
    with run_fake_roku() as (host, port, tv):
        cfg = tmp_path / "worker.toml"
        cfg.write_text(
            "[tv]\ntimeout_s = 2\n"
            '[[tv.controllers]]\ntype = "roku"\nname = "dead"\n'
            f'host = "127.0.0.1"\nport = {free_port()}\n'
            '[[tv.controllers]]\ntype = "roku"\nname = "living-room"\n'
            f'host = "{host}"\nport = {port}\n'
        )
        ok = tv_try(cfg, "input", "hdmi2")
        assert ok.returncode == 0, ok.stderr
        assert "input hdmi2: done by living-room" in ok.stdout
        assert "dead: FAILED" in ok.stdout
        assert tv.keypresses() == ["keypress/InputHDMI2"]
    failed = tv_try(cfg, "mute")
    assert failed.returncode == 1
    assert "every controller failed" in failed.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[[tv.controllers]]\ntype = "zigbee"\n')
    out = tv_try(bad, "mute")
    assert out.returncode == 2 and "unknown TV controller type 'zigbee'" in out.stderr
