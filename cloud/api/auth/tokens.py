"""JWT bearer tokens: issue (operators) and verify (every request).

Verification pins the algorithm from the settings (so ``alg=none`` and algorithm
confusion are rejected), and requires ``exp``, ``iat``, ``iss``, ``aud``, ``sub``,
``tenant`` and ``role``. Any failure is one :class:`AuthError` with a reason.

A client sends the same token on every request, and checking it cost ~10% of a
cached request's CPU, so each verifier remembers tokens it has accepted (bounded
LRU) until their ``exp`` (+ leeway). Only successes are remembered: a token that is
not yet valid or is refused is checked again next time.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

import jwt
import msgspec

from cloud.api.errors import AuthError, ConfigError
from cloud.api.settings import JwtSettings

Role = Literal["viewer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "admin")
_TENANT = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_REQUIRED = ["exp", "iat", "iss", "aud", "sub"]


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: the tenant scopes every query, the role gates admin-only fields."""

    subject: str
    tenant: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _read_key(path: str, what: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read jwt {what} {path}: {exc}") from exc


class TokenVerifier:
    """Checks a bearer token against the configured key, issuer and audience."""

    def __init__(self, cfg: JwtSettings, *, remember: int = 4096) -> None:
        self._cfg = cfg
        self._key: Any = (
            cfg.secret if cfg.algorithm == "HS256" else _read_key(cfg.public_key_file, "public key")
        )
        self._remember = remember
        self._accepted: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def verify(self, token: str) -> Principal:
        known = self._accepted.get(token)
        if known is not None:
            principal, valid_until = known
            if time.time() < valid_until:
                self._accepted.move_to_end(token)
                return principal
            del self._accepted[token]
        principal, exp = self._check(token)
        if self._remember > 0:
            self._accepted[token] = (principal, exp + self._cfg.leeway_s)
            if len(self._accepted) > self._remember:
                self._accepted.popitem(last=False)
        return principal

    def _check(self, token: str) -> tuple[Principal, float]:
        """Full verification: the principal and the token's ``exp``."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._cfg.algorithm],
                audience=self._cfg.audience,
                issuer=self._cfg.issuer,
                leeway=self._cfg.leeway_s,
                options={"require": _REQUIRED},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        return principal_from_claims(claims), float(claims["exp"])


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    tenant, role, subject = claims.get("tenant"), claims.get("role"), claims.get("sub")
    if not isinstance(tenant, str) or not _TENANT.fullmatch(tenant):
        raise AuthError("invalid token: bad or missing tenant claim")
    if role not in ROLES:
        raise AuthError("invalid token: bad or missing role claim")
    if not isinstance(subject, str) or not subject:
        raise AuthError("invalid token: bad or missing sub claim")
    return Principal(subject=subject, tenant=tenant, role=role)


def issue(cfg: JwtSettings, *, tenant: str, role: Role, ttl_s: int, subject: str) -> str:
    """A signed token for ``tenant``/``role`` valid for ``ttl_s`` seconds."""
    if not _TENANT.fullmatch(tenant):
        raise ConfigError(f"tenant {tenant!r} must match [a-z0-9][a-z0-9-]{{0,62}}")
    if role not in ROLES or ttl_s <= 0:
        raise ConfigError("role must be viewer|admin and ttl positive")
    now = int(time.time())
    claims = {
        "iss": cfg.issuer,
        "aud": cfg.audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_s,
        "jti": str(uuid.uuid4()),
        "tenant": tenant,
        "role": role,
    }
    key: Any = cfg.secret
    if cfg.algorithm == "RS256":
        if not cfg.private_key_file:
            raise ConfigError("jwt.private_key_file is required to issue RS256 tokens")
        key = _read_key(cfg.private_key_file, "private key")
    return jwt.encode(claims, key, algorithm=cfg.algorithm)
