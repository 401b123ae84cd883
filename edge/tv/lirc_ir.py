"""IR through lircd, using the ``lirc`` package (a pure-Python client for lircd's socket).

One connection per command: lircd broadcasts unsolicited events (received or simulated
keys) on every open connection, and the client would then read an event line as the
reply to its next command. A fresh connection per command cannot get out of step.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import msgspec

from edge.tv.base import TvAction
from edge.tv.errors import TvCommandError
from edge.tv.keymap import KeyMap, load_keymap

TYPE = "lirc"


class LircConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: Literal["lirc"] = "lirc"
    name: str = "lirc"
    socket: str = "/var/run/lirc/lircd"
    keymap: str = "samsung"
    remote: str | None = None  # overrides the key map's remote name
    key_gap_s: float = 0.15  # pause between keys of a sequence (digits, input menus)
    socket_timeout_s: float = 2.0


class LircController:
    """Sends key presses with SEND_ONCE on a fresh lircd connection per key."""

    def __init__(self, cfg: LircConfig) -> None:
        self.name = cfg.name
        self._cfg = cfg
        self._keymap: KeyMap = load_keymap(cfg.keymap)
        self._remote = cfg.remote or self._keymap.remote

    @property
    def keymap(self) -> KeyMap:
        return self._keymap

    async def perform(self, action: TvAction) -> None:
        keys = self._keymap.keys_for(action)
        await asyncio.to_thread(self._send_keys, keys)

    async def mute_state(self) -> bool | None:
        return None  # IR is one-way

    async def check(self) -> None:
        await asyncio.to_thread(self._check_remote)

    async def aclose(self) -> None:
        return None

    def _client(self) -> object:
        import lirc

        try:
            conn = lirc.LircdConnection(
                address=self._cfg.socket, timeout=self._cfg.socket_timeout_s
            )
            return lirc.Client(connection=conn)
        except lirc.exceptions.LircError as exc:
            raise TvCommandError(f"lircd at {self._cfg.socket} unreachable: {exc}") from exc

    def _send_keys(self, keys: list[str]) -> None:
        for i, key in enumerate(keys):
            if i:
                time.sleep(self._cfg.key_gap_s)
            self._send_one(key)

    def _send_one(self, key: str) -> None:
        import lirc

        client = self._client()
        assert isinstance(client, lirc.Client)
        try:
            client.send_once(self._remote, key)
        except (lirc.exceptions.LircError, OSError) as exc:
            raise TvCommandError(f"lircd SEND_ONCE {self._remote} {key} failed: {exc}") from exc
        finally:
            client.close()

    def _check_remote(self) -> None:
        import lirc

        client = self._client()
        assert isinstance(client, lirc.Client)
        try:
            remotes = client.list_remotes()
        except (lirc.exceptions.LircError, OSError) as exc:
            raise TvCommandError(f"lircd LIST failed: {exc}") from exc
        finally:
            client.close()
        if self._remote not in remotes:
            raise TvCommandError(
                f"lircd at {self._cfg.socket} has no remote {self._remote!r} "
                f"(it has: {', '.join(remotes) or 'none'})"
            )
