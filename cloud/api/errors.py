"""The read API's one error root and its HTTP-facing subclasses."""

from __future__ import annotations


class ApiError(Exception):
    """Root of every error raised by ``cloud.api``."""


class ConfigError(ApiError):
    """Settings that cannot work (missing key material, bad values)."""


class AuthError(ApiError):
    """A bearer token that is missing, malformed, expired or not ours (HTTP 401)."""


class NotFound(ApiError):
    """Nothing of this tenant under that id (HTTP 404, also for other tenants' ids)."""


class BadRequest(ApiError):
    """Input that passed type checks but makes no sense (HTTP 400), e.g. ``to`` before ``from``."""


class Unavailable(ApiError):
    """A backing service (PostgreSQL, Redis) is down (HTTP 503)."""
