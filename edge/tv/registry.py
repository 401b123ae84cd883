"""The explicit registry of TV controller plugins, keyed by the config's ``type`` field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from edge.tv import cec, lirc_ir, roku, webhook
from edge.tv.base import TvController
from edge.tv.errors import TvConfigError, TvError


@dataclass(frozen=True, slots=True)
class Plugin:
    config_type: type[Any]
    factory: Callable[[Any], TvController]


REGISTRY: Mapping[str, Plugin] = {
    lirc_ir.TYPE: Plugin(lirc_ir.LircConfig, lirc_ir.LircController),
    cec.TYPE: Plugin(cec.CecConfig, cec.CecController),
    roku.TYPE: Plugin(roku.RokuConfig, roku.RokuController),
    webhook.TYPE: Plugin(webhook.WebhookConfig, webhook.WebhookController),
}


def build_controller(raw: Mapping[str, Any], where: str = "tv.controllers") -> TvController:
    """Build one controller from its config table; unknown types fail with the known list."""
    kind = raw.get("type")
    plugin = REGISTRY.get(kind) if isinstance(kind, str) else None
    if plugin is None:
        raise TvConfigError(
            f"{where}: unknown TV controller type {kind!r}; known types: "
            f"{', '.join(sorted(REGISTRY))}"
        )
    try:
        cfg = msgspec.convert(dict(raw), plugin.config_type)
    except msgspec.ValidationError as exc:
        raise TvConfigError(f"{where} ({kind}): {exc}") from exc
    except TvError as exc:
        raise TvConfigError(f"{where} ({kind}): {exc}") from exc
    return plugin.factory(cfg)
