"""Authentication and authorisation decisions of the venue broker, with their counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Literal

import structlog
from prometheus_client import Counter as PromCounter

from broker.venue.acl import AclPolicy
from broker.venue.passwords import verify_password

log = structlog.get_logger("adwatch.venue")

ACL_DENIED = PromCounter(
    "adwatch_venue_acl_denied", "Publishes and subscriptions the venue ACL refused", ["action"]
)
AUTH_FAILED = PromCounter("adwatch_venue_auth_failed", "CONNECTs refused for bad credentials")

Kind = Literal["publish", "subscribe", "will"]


class VenueGuard:
    """Decides who may connect and what they may touch; counts every refusal.

    ``denied`` (a ``collections.Counter`` by kind) and ``auth_failed`` are per
    instance (what tests and the coordinator read); the Prometheus counters above
    are process-wide.
    """

    def __init__(self, policy: AclPolicy, users: Mapping[str, str], *, dev: bool) -> None:
        self.policy = policy
        self.users = dict(users)
        self.dev = dev
        self.denied: Counter[str] = Counter()
        self.auth_failed = 0

    def authenticate(self, user: str | None, password: str | None, client_id: str | None) -> bool:
        if self.dev and user is None:
            return True
        hashed = self.users.get(user or "")
        if hashed is not None and verify_password(password or "", hashed):
            return True
        if self.dev:
            return True  # dev mode takes any name; passwords are not checked
        self.auth_failed += 1
        AUTH_FAILED.inc()
        log.warning("venue_auth_failed", user=user, client_id=client_id)
        return False

    def authorise(self, kind: Kind, user: str | None, client_id: str | None, topic: str) -> bool:
        if self.dev:
            return True
        allowed = (
            self.policy.can_subscribe(user, topic)
            if kind == "subscribe"
            else self.policy.can_publish(user, topic)
        )
        if not allowed:
            self.denied[kind] += 1
            ACL_DENIED.labels(kind).inc()
            log.warning(
                "venue_acl_denied", action=kind, user=user, client_id=client_id, topic=topic
            )
        return allowed
