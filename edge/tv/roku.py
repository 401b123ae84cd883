"""Roku External Control Protocol (ECP) over HTTP on port 8060.

``POST /keypress/{key}`` presses a key (``VolumeMute``, ``InputHDMI2``, ``PowerOn``...),
``POST /launch/{app}`` launches a channel (Roku TV tuner: ``/launch/tvinput.dtv?ch=N``),
``GET /query/device-info`` identifies the device.

``VolumeMute`` is a toggle and ECP has no query for the mute state, so :meth:`mute_state`
returns None and the break policy relies on what it remembers (see :mod:`edge.policy`).
"""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from typing import Literal

import msgspec

from edge.tv import http
from edge.tv.base import TvAction
from edge.tv.errors import TvCommandError, TvUnsupported

TYPE = "roku"
_DEFAULT_INPUTS = {
    "tv": "InputTuner",
    "tuner": "InputTuner",
    "hdmi1": "InputHDMI1",
    "hdmi2": "InputHDMI2",
    "hdmi3": "InputHDMI3",
    "hdmi4": "InputHDMI4",
    "av1": "InputAV1",
}


class RokuConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: Literal["roku"] = "roku"
    name: str = "roku"
    host: str = ""
    port: int = 8060
    timeout_s: float = 3.0
    inputs: dict[str, str] = msgspec.field(default_factory=dict)  # extra name -> ECP key
    channel_app: str = "tvinput.dtv"  # the Roku TV tuner app for channel changes


class RokuController:
    def __init__(self, cfg: RokuConfig) -> None:
        from edge.tv.errors import TvConfigError

        if not cfg.host:
            raise TvConfigError("roku: `host` is required")
        self.name = cfg.name
        self._cfg = cfg
        self._base = f"http://{cfg.host}:{cfg.port}"
        self._inputs = {**_DEFAULT_INPUTS, **{k.lower(): v for k, v in cfg.inputs.items()}}

    def path_for(self, action: TvAction) -> str:
        if action.kind in ("mute", "unmute"):
            return "/keypress/VolumeMute"
        if action.kind == "power_on":
            return "/keypress/PowerOn"
        if action.kind == "standby":
            return "/keypress/PowerOff"
        if action.kind == "input":
            key = self._inputs.get(str(action.arg).lower())
            if key is None:
                raise TvUnsupported(f"roku: unknown input {action.arg!r}")
            return f"/keypress/{key}"
        query = urllib.parse.urlencode({"ch": action.arg})
        return f"/launch/{self._cfg.channel_app}?{query}"

    async def perform(self, action: TvAction) -> None:
        reply = await http.request(
            "POST", self._base + self.path_for(action), body=b"", timeout_s=self._cfg.timeout_s
        )
        if not 200 <= reply.status < 300:
            raise TvCommandError(f"roku {action}: HTTP {reply.status}")

    async def device_info(self) -> dict[str, str]:
        reply = await http.request(
            "GET", self._base + "/query/device-info", timeout_s=self._cfg.timeout_s
        )
        try:
            root = ET.fromstring(reply.body)
        except ET.ParseError as exc:
            raise TvCommandError(f"roku device-info is not XML: {exc}") from exc
        if root.tag != "device-info":
            raise TvCommandError(f"roku device-info: unexpected root <{root.tag}>")
        return {child.tag: (child.text or "") for child in root}

    async def mute_state(self) -> bool | None:
        return None

    async def check(self) -> None:
        info = await self.device_info()
        if not info.get("serial-number"):
            raise TvCommandError("roku device-info has no serial-number")

    async def aclose(self) -> None:
        return None
