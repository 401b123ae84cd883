"""The IR plugin against Debian's real lircd (file driver): the right key reaches the output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edge.tv.base import TvAction
from edge.tv.chain import ControllerChain
from edge.tv.errors import TvCommandError
from edge.tv.lirc_ir import LircConfig, LircController

from .conftest import LIRCD_CONFS, Lircd

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def lircd_code(brand: str, key: str) -> tuple[int, int, int]:
    """(bits, pre_data, code) of a key as written in the test remote's lircd.conf."""
    text = (LIRCD_CONFS / f"{brand}.lircd.conf").read_text()
    bits = int(re.search(r"^\s*bits\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    pre = re.search(r"^\s*pre_data\s+(0x[0-9A-Fa-f]+)", text, re.M)
    code = re.search(rf"^\s*{key}\s+(0x[0-9A-Fa-f]+)", text, re.M)
    assert code, f"{key} not in {brand}.lircd.conf"
    return bits, int(pre.group(1), 16) if pre else 0, int(code.group(1), 16)


def decode_space_enc(train: list[tuple[str, int]], one: tuple[int, int]) -> int:
    """Decode one frame of a SPACE_ENC/pulse-width train after its header pair."""
    value = 0
    pairs = train[2:]
    for i in range(0, len(pairs) - 1, 2):
        (k1, p), (k2, s) = pairs[i], pairs[i + 1]
        assert (k1, k2) == ("pulse", "space")
        is_one = abs(p - one[0]) < 150 and abs(s - one[1]) < 150
        value = (value << 1) | int(is_one)
    return value


@pytest.mark.parametrize(
    ("lircd", "brand", "action", "key", "one", "total_bits"),
    [
        ("samsung", "samsung", TvAction("mute"), "KEY_MUTE", (560, 1690), 32),
        ("lg", "lg", TvAction("input", "hdmi2"), "KEY_HDMI2", (560, 1690), 32),
        ("sony", "sony", TvAction("standby"), "KEY_POWEROFF", (1200, 600), 12),
    ],
    indirect=["lircd"],
)
async def test_send_once_writes_the_keys_pulse_train(
    lircd: Lircd, brand: str, action: TvAction, key: str, one: tuple[int, int], total_bits: int
) -> None:
    ctl = LircController(LircConfig(socket=str(lircd.socket), keymap=brand))
    await ctl.check()
    await ctl.perform(action)
    train = lircd.pulses()
    assert train, "lircd wrote nothing"
    bits, pre, code = lircd_code(brand, key)
    expected = (pre << bits) | code
    frame = train[: 2 + 2 * total_bits]
    assert decode_space_enc(frame, one) == expected


@pytest.mark.parametrize("lircd", ["samsung"], indirect=True)
async def test_channel_sends_digits_then_enter(lircd: Lircd) -> None:
    ctl = LircController(LircConfig(socket=str(lircd.socket), keymap="samsung", key_gap_s=0.0))
    await ctl.perform(TvAction("channel", "42"))
    train = lircd.pulses()
    headers = [i for i in range(len(train) - 1) if train[i] == ("pulse", 4500)]
    frames = [decode_space_enc(train[i : i + 66], (560, 1690)) for i in headers]
    expected = [
        (lircd_code("samsung", k)[1] << 16) | lircd_code("samsung", k)[2]
        for k in ("KEY_4", "KEY_2", "KEY_ENTER")
    ]
    assert frames == expected


@pytest.mark.parametrize("lircd", ["samsung"], indirect=True)
async def test_unknown_remote_and_dead_socket_are_clear_errors(
    lircd: Lircd, tmp_path: Path
) -> None:
    wrong = LircController(LircConfig(socket=str(lircd.socket), keymap="lg"))
    with pytest.raises(TvCommandError, match="no remote 'LG_AKB'"):
        await wrong.check()
    with pytest.raises(TvCommandError, match="SEND_ONCE LG_AKB KEY_MUTE failed"):
        await wrong.perform(TvAction("mute"))
    dead = LircController(LircConfig(socket=str(tmp_path / "nope.sock")))
    result = await ControllerChain([dead], timeout_s=3).perform(TvAction("mute"))
    assert not result.ok
    assert "unreachable" in result.attempts[0].error
