"""IR key maps as data: which remote key(s) perform each action on a TV brand.

A key map is a TOML file (built-ins live in ``edge/tv/keymaps/``)::

    remote = "Samsung_BN59"        # the remote's name in lircd.conf
    mute_is_toggle = true          # one MUTE key for both mute and unmute
    digit_key = "KEY_{digit}"      # template for channel digits
    channel_enter = "KEY_OK"       # pressed after the digits ("" = none)
    [actions]                      # mute / unmute / power_on / standby -> keys
    mute = ["KEY_MUTE"]
    [inputs]                       # input name -> keys pressed in order
    hdmi1 = ["KEY_HDMI1"]
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from edge.tv.base import TvAction
from edge.tv.errors import TvConfigError, TvUnsupported

BUILTIN_DIR = Path(__file__).with_name("keymaps")


class KeyMap(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    remote: str
    mute_is_toggle: bool = True
    digit_key: str = "KEY_{digit}"
    channel_enter: str = ""
    actions: dict[str, list[str]] = msgspec.field(default_factory=dict)
    inputs: dict[str, list[str]] = msgspec.field(default_factory=dict)

    def keys_for(self, action: TvAction) -> list[str]:
        """The remote keys to send, in order, or TvUnsupported."""
        if action.kind == "input":
            keys = self.inputs.get(str(action.arg).lower())
            if not keys:
                raise TvUnsupported(f"key map for {self.remote} has no input {action.arg!r}")
            return list(keys)
        if action.kind == "channel":
            digits = [self.digit_key.format(digit=d) for d in str(action.arg)]
            return digits + ([self.channel_enter] if self.channel_enter else [])
        keys = self.actions.get(action.kind)
        if not keys:
            raise TvUnsupported(f"key map for {self.remote} has no key for {action.kind!r}")
        return list(keys)


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def load_keymap(name_or_path: str) -> KeyMap:
    """Load a built-in key map by brand name, or a key map file by path."""
    path = Path(name_or_path)
    if not (path.suffix == ".toml" or "/" in name_or_path):
        path = BUILTIN_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise TvConfigError(
            f"key map {name_or_path!r} not found ({path}); built-in key maps: "
            f"{', '.join(builtin_names())}"
        )
    try:
        data = tomllib.loads(path.read_text())
        return msgspec.convert(data, KeyMap)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise TvConfigError(f"key map {path}: {exc}") from exc
