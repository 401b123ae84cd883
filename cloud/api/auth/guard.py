"""The ``principal`` dependency: every /api/v1 handler asks for it by name.

Handlers never see a request without a verified token; the principal's tenant is
what the services filter by.
"""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State

from cloud.api.auth.tokens import Principal, TokenVerifier
from cloud.api.errors import AuthError


def bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("missing bearer token")
    return token.strip()


async def provide_principal(request: Request[object, object, State]) -> Principal:
    verifier: TokenVerifier = request.app.state["verifier"]
    return verifier.verify(bearer(request.headers.get("authorization")))
