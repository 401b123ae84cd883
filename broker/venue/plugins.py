"""amqtt plugins: password authentication and the topic ACL, both counting refusals.

They are loaded through amqtt's ``plugins`` config with their shared state (the
``VenueGuard``) injected through the plugin ``Config`` dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from broker.venue.guard import VenueGuard

log = structlog.get_logger("adwatch.venue")


class DeviceAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    """Username/password against the ``$7$`` password file; anonymous only in dev mode.

    Never sets ``session.is_anonymous``: plain amqtt skips offline queueing and drops
    the session on disconnect for anonymous sessions, which would break persistent
    sessions in ``--dev``.
    """

    @dataclass
    class Config:
        guard: Any = None

    async def authenticate(self, *, session: Session) -> bool | None:
        guard: VenueGuard = self.config.guard
        return guard.authenticate(session.username, session.password, session.client_id)


class TopicAclPlugin(BaseTopicPlugin):  # type: ignore[misc]
    """Publish/subscribe ACL of ``broker.venue.acl``; every refusal is counted and logged."""

    @dataclass
    class Config:
        guard: Any = field(default=None)

    async def topic_filtering(
        self,
        *,
        session: Session | None = None,
        topic: str | None = None,
        action: Action | None = None,
    ) -> bool | None:
        guard: VenueGuard = self.config.guard
        if session is None or topic is None or action is None:
            return False
        if action == Action.RECEIVE:
            return True  # already vetted when the subscription was made
        if action == Action.PUBLISH:
            return guard.authorise("publish", session.username, session.client_id, topic)
        return guard.authorise("subscribe", session.username, session.client_id, topic)
