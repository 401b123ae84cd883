"""What every TV controller plugin implements, and the actions they perform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

ActionKind = Literal["mute", "unmute", "input", "channel", "power_on", "standby"]
ACTION_KINDS: tuple[ActionKind, ...] = ("mute", "unmute", "input", "channel", "power_on", "standby")


@dataclass(frozen=True, slots=True)
class TvAction:
    """One thing to do to a TV. ``arg`` is the input name (``hdmi2``) or channel number."""

    kind: ActionKind
    arg: str | None = None

    def __post_init__(self) -> None:
        needs_arg = self.kind in ("input", "channel")
        if needs_arg and not self.arg:
            raise ValueError(f"action {self.kind!r} needs an argument")
        if not needs_arg and self.arg is not None:
            raise ValueError(f"action {self.kind!r} takes no argument")
        if self.kind == "channel" and not (self.arg or "").isdigit():
            raise ValueError(f"channel must be digits, got {self.arg!r}")

    def __str__(self) -> str:
        return self.kind if self.arg is None else f"{self.kind} {self.arg}"


@runtime_checkable
class TvController(Protocol):
    """A way of acting on one TV. Implementations are async and must not block the loop.

    ``perform`` raises :class:`~edge.tv.errors.TvCommandError` (failed, unreachable) or
    :class:`~edge.tv.errors.TvUnsupported`; the chain adds the overall timeout.
    ``mute_state`` returns True/False where the protocol can tell, None when it cannot.
    """

    name: str

    async def perform(self, action: TvAction) -> None: ...

    async def mute_state(self) -> bool | None: ...

    async def check(self) -> None:
        """Validate that the device is reachable (used by ``tv try`` and at start-up)."""
        ...

    async def aclose(self) -> None: ...
