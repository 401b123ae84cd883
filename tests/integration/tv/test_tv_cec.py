"""The CEC plugin driving a protocol-faithful stand-in cec-client on PATH."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.tv.base import TvAction
from edge.tv.cec import CecConfig, CecController
from edge.tv.chain import ControllerChain
from edge.tv.errors import TvCommandError

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def received(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize(
    ("action", "lines"),
    [
        (TvAction("mute"), ["tx 10:44:65", "tx 10:45"]),
        (TvAction("unmute"), ["tx 10:44:66", "tx 10:45"]),
        (TvAction("input", "hdmi2"), ["tx 1F:86:20:00"]),
        (TvAction("channel", "7"), ["tx 10:44:27", "tx 10:45"]),
        (TvAction("power_on"), ["on 0"]),
        (TvAction("standby"), ["standby 0"]),
    ],
)
async def test_actions_send_documented_cec_client_lines(
    fake_cec: Path, action: TvAction, lines: list[str]
) -> None:
    ctl = CecController(CecConfig(port="RPI"))
    await ctl.perform(action)
    got = received(fake_cec)
    assert [r["line"] for r in got] == lines
    assert all(r["argv"] == ["-s", "-d", "1", "RPI"] for r in got)


async def test_configured_physical_address_and_check(fake_cec: Path) -> None:
    ctl = CecController(CecConfig(inputs={"console": "3.1.0.0"}))
    await ctl.perform(TvAction("input", "console"))
    await ctl.check()
    assert [r["line"] for r in received(fake_cec)] == ["tx 1F:86:31:00", "pow 0"]


async def test_no_adapter_is_a_clear_error(fake_cec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CEC_MODE", "no-adapter")
    with pytest.raises(TvCommandError, match=r"exit 1\): autodetect FAILED"):
        await CecController(CecConfig()).perform(TvAction("power_on"))


async def test_unacknowledged_frame_is_an_error_despite_exit_0(
    fake_cec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CEC_MODE", "nack")
    with pytest.raises(TvCommandError, match=r"ERROR:.*not acknowledged"):
        await CecController(CecConfig()).perform(TvAction("mute"))


async def test_hanging_cec_client_times_out_and_chain_falls_back(
    fake_cec: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAKE_CEC_MODE", "hang")
    slow = CecController(CecConfig(name="cec-hang", command_timeout_s=0.5))
    with pytest.raises(TvCommandError, match="timed out"):
        await slow.perform(TvAction("standby"))
    monkeypatch.setenv("FAKE_CEC_MODE", "ok")
    missing = CecController(CecConfig(name="cec-missing", binary=str(tmp_path / "none")))
    works = CecController(CecConfig(name="cec-ok"))
    result = await ControllerChain([missing, works], timeout_s=5).perform(TvAction("standby"))
    assert result.acted_by == "cec-ok"
    assert "cannot run" in result.attempts[0].error
