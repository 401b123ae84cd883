"""A generic HTTP webhook, for TVs managed by home-automation systems.

Each action renders a request from templates (``string.Template``: ``$action``, ``$arg``,
``$muted`` = ``true``/``false`` for mute/unmute). Defaults apply to every action, and
``[actions.<kind>]`` overrides method/url/body per action. With ``state_url`` and
``muted_field`` (a dotted path into the JSON reply, e.g. ``attributes.is_volume_muted``)
the plugin can tell whether the TV is muted.
"""

from __future__ import annotations

import json
from string import Template
from typing import Literal

import msgspec

from edge.tv import http
from edge.tv.base import TvAction
from edge.tv.errors import TvCommandError, TvConfigError, TvUnsupported

TYPE = "webhook"


class WebhookRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    method: str | None = None
    url: str | None = None
    body: str | None = None


class WebhookConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: Literal["webhook"] = "webhook"
    name: str = "webhook"
    method: str = "POST"
    url: str = ""
    body: str = '{"action": "$action", "arg": "$arg"}'
    headers: dict[str, str] = msgspec.field(
        default_factory=lambda: {"Content-Type": "application/json"}
    )
    actions: dict[str, WebhookRequest] = msgspec.field(default_factory=dict)
    only_listed_actions: bool = False
    state_url: str | None = None
    muted_field: str | None = None
    timeout_s: float = 3.0


class WebhookController:
    def __init__(self, cfg: WebhookConfig) -> None:
        if not cfg.url and not cfg.actions:
            raise TvConfigError("webhook: set `url` or per-action [actions.<kind>] urls")
        if bool(cfg.state_url) != bool(cfg.muted_field):
            raise TvConfigError("webhook: `state_url` and `muted_field` go together")
        self.name = cfg.name
        self._cfg = cfg

    def render(self, action: TvAction) -> tuple[str, str, bytes]:
        """(method, url, body) for an action."""
        override = self._cfg.actions.get(action.kind)
        if override is None and self._cfg.only_listed_actions:
            raise TvUnsupported(f"webhook {self.name}: no request configured for {action.kind}")
        override = override or WebhookRequest()
        values = {
            "action": action.kind,
            "arg": action.arg or "",
            "muted": "true" if action.kind == "mute" else "false",
        }
        url = Template(override.url or self._cfg.url).safe_substitute(values)
        if not url:
            raise TvConfigError(f"webhook {self.name}: no url for {action.kind}")
        body = Template(override.body if override.body is not None else self._cfg.body)
        method = (override.method or self._cfg.method).upper()
        return method, url, body.safe_substitute(values).encode()

    async def perform(self, action: TvAction) -> None:
        method, url, body = self.render(action)
        reply = await http.request(
            method,
            url,
            body=body if method not in ("GET", "HEAD") else None,
            headers=dict(self._cfg.headers),
            timeout_s=self._cfg.timeout_s,
        )
        if not 200 <= reply.status < 300:
            raise TvCommandError(f"webhook {method} {url}: HTTP {reply.status}")

    async def mute_state(self) -> bool | None:
        if not self._cfg.state_url or not self._cfg.muted_field:
            return None
        reply = await http.request(
            "GET",
            self._cfg.state_url,
            headers=dict(self._cfg.headers),
            timeout_s=self._cfg.timeout_s,
        )
        try:
            value: object = json.loads(reply.body)
            for part in self._cfg.muted_field.split("."):
                value = value[part] if isinstance(value, dict) else None
        except ValueError as exc:
            raise TvCommandError(f"webhook state {self._cfg.state_url}: not JSON") from exc
        if not isinstance(value, bool):
            raise TvCommandError(
                f"webhook state: {self._cfg.muted_field} is {value!r}, not a boolean"
            )
        return value

    async def check(self) -> None:
        if self._cfg.state_url:
            await self.mute_state()

    async def aclose(self) -> None:
        return None
