"""HDMI-CEC through libcec's ``cec-client`` in single-command mode (``-s``).

Each action pipes one console command into ``cec-client -s -d 1 [PORT]`` (libcec reads one
line, executes it and exits). Our adapter is a recording device (logical address 1), the
TV is logical address 0, so a frame to the TV starts with header ``10``:

* mute / unmute: ``tx 10:44:65`` / ``tx 10:44:66`` (User Control Pressed with the discrete
  "Mute Function" / "Restore Volume Function" operands), then ``tx 10:45`` (released).
* input ``hdmiN``: ``tx 1F:86:N0:00`` (broadcast Set Stream Path to physical address N.0.0.0);
  inputs can also be mapped to explicit physical addresses in config.
* channel: digits as User Control Pressed ``0x20``-``0x29`` + release each.
* power_on: ``on 0``; standby: ``standby 0``.

With ``-d 1`` only libcec errors are printed, as ``ERROR:   [time]\\tmessage``. cec-client
exits 1 when no adapter is found (``autodetect FAILED``) or it cannot open one
(``unable to open the device on port ...``); a failed transmit still exits 0, so ERROR
lines are treated as failure too.
"""

from __future__ import annotations

import asyncio
import re
from typing import Literal

import msgspec

from edge.tv.base import TvAction
from edge.tv.errors import TvCommandError, TvConfigError

TYPE = "cec"
_UC_PRESSED = "44"
_UC_RELEASED = "45"
_MUTE_FUNCTION = "65"
_RESTORE_VOLUME_FUNCTION = "66"
_PHYS = re.compile(r"^[0-9a-f]\.[0-9a-f]\.[0-9a-f]\.[0-9a-f]$")


class CecConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: Literal["cec"] = "cec"
    name: str = "cec"
    binary: str = "cec-client"
    port: str | None = None  # adapter com port (e.g. RPI, /dev/ttyACM0); None = autodetect
    tv_address: int = 0
    own_address: int = 1
    inputs: dict[str, str] = msgspec.field(default_factory=dict)  # name -> "2.0.0.0"
    command_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        for name, phys in self.inputs.items():
            if not _PHYS.match(phys):
                raise TvConfigError(f"cec input {name!r}: {phys!r} is not a physical address")


class CecController:
    def __init__(self, cfg: CecConfig) -> None:
        self.name = cfg.name
        self._cfg = cfg
        self._hdr = f"{cfg.own_address:X}{cfg.tv_address:X}"

    def commands_for(self, action: TvAction) -> list[str]:
        """The cec-client console lines for an action (one process per line)."""
        if action.kind in ("mute", "unmute"):
            op = _MUTE_FUNCTION if action.kind == "mute" else _RESTORE_VOLUME_FUNCTION
            return self._press(op)
        if action.kind == "power_on":
            return [f"on {self._cfg.tv_address:X}"]
        if action.kind == "standby":
            return [f"standby {self._cfg.tv_address:X}"]
        if action.kind == "input":
            phys = self._physical_address(str(action.arg))
            a, b, c, d = phys.split(".")
            return [f"tx {self._cfg.own_address:X}F:86:{(a + b).upper()}:{(c + d).upper()}"]
        lines: list[str] = []
        for digit in str(action.arg):
            lines += self._press(f"{0x20 + int(digit):02X}")
        return lines

    def _press(self, operand: str) -> list[str]:
        return [f"tx {self._hdr}:{_UC_PRESSED}:{operand}", f"tx {self._hdr}:{_UC_RELEASED}"]

    def _physical_address(self, name: str) -> str:
        key = name.lower()
        if key in self._cfg.inputs:
            return self._cfg.inputs[key]
        match = re.fullmatch(r"hdmi([1-9a-f])", key)
        if match is None:
            raise TvCommandError(f"cec: unknown input {name!r} (configure [inputs])")
        return f"{match.group(1)}.0.0.0"

    async def perform(self, action: TvAction) -> None:
        for line in self.commands_for(action):
            await self.run_line(line)

    async def run_line(self, line: str) -> str:
        argv = [self._cfg.binary, "-s", "-d", "1"]
        if self._cfg.port:
            argv.append(self._cfg.port)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        except OSError as exc:
            raise TvCommandError(f"cannot run {self._cfg.binary}: {exc}") from exc
        try:
            out, _ = await asyncio.wait_for(
                proc.communicate((line + "\n").encode()), self._cfg.command_timeout_s
            )
        except TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise TvCommandError(f"cec-client {line!r} timed out") from exc
        text = out.decode(errors="replace")
        errors = [ln for ln in text.splitlines() if ln.startswith("ERROR:")]
        if proc.returncode != 0 or errors:
            lines = text.strip().splitlines()
            detail = "; ".join(errors) or (lines[-1] if lines else "no output")
            raise TvCommandError(f"cec-client {line!r} failed (exit {proc.returncode}): {detail}")
        return text

    async def mute_state(self) -> bool | None:
        return None  # the audio status arrives asynchronously; not read in -s mode

    async def check(self) -> None:
        out = await self.run_line(f"pow {self._cfg.tv_address:X}")
        if "power status:" not in out:
            raise TvCommandError(f"cec-client gave no power status: {out.strip()!r}")

    async def aclose(self) -> None:
        return None
