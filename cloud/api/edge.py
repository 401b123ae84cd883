"""The ASGI layer in front of the routes: request id, limits, metrics, access log.

It wraps the whole Litestar app (not one route), so unmatched paths, 405s and
429s are logged and counted too. Per request it:

1. takes a sane ``X-Request-ID`` from the client or makes one, echoes it back and
   binds it to structlog's context for every log line of the request;
2. rejects bodies over ``max_request_bytes`` (413) by ``Content-Length``;
3. applies the Redis rate limiter to ``/api/`` (429 with ``Retry-After``);
4. records ``api_requests_total`` and ``api_request_duration_seconds`` by route
   template, method and status, and writes one structured access-log line.
"""

from __future__ import annotations

import ipaddress
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import structlog
from prometheus_client import Counter, Histogram

from cloud.api.ratelimit import RateLimiter

log = structlog.get_logger("adwatch.api.access")

REQUESTS = Counter("api_requests_total", "HTTP requests", ["route", "method", "status"])
LATENCY = Histogram(
    "api_request_duration_seconds",
    "HTTP request latency",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
App = Callable[[Scope, Receive, Send], Any]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def client_ip(scope: Scope, trusted: frozenset[str]) -> str:
    """The peer address; the last ``X-Forwarded-For`` hop only behind a trusted proxy."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    forwarded = _header(scope, b"x-forwarded-for")
    if forwarded and peer in trusted:
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return str(peer)
    return str(peer)


async def _reply(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = msgspec.json.encode(body)
    base = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": base + headers})
    await send({"type": "http.response.body", "body": payload})


class EdgeMiddleware:
    def __init__(
        self,
        app: App,
        *,
        limiter: Callable[[], RateLimiter | None],
        max_body: int,
        trusted_proxies: frozenset[str] = frozenset(),
        access_log: bool = True,
    ) -> None:
        self._app = app
        self._limiter = limiter
        self._max_body = max_body
        self._trusted = trusted_proxies
        self._access_log = access_log

    @property
    def app(self) -> App:
        """The wrapped application."""
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        rid = (b"x-request-id", request_id.encode())

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid]
            await send(message)

        try:
            refusal = await self._refuse(scope)
            if refusal is not None:
                await _reply(send_wrapper, *refusal)
            else:
                await self._app(scope, receive, send_wrapper)
        finally:
            self._observe(scope, status, time.perf_counter() - started, request_id)
            structlog.contextvars.unbind_contextvars("request_id")

    async def _refuse(
        self, scope: Scope
    ) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]] | None:
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self._max_body):
            return 413, {"status_code": 413, "detail": "request body too large"}, []
        limiter = self._limiter()
        if limiter is None or not scope["path"].startswith("/api/"):
            return None
        decision = await limiter.check(
            client_ip(scope, self._trusted), _header(scope, b"authorization")
        )
        if decision.allowed:
            return None
        body = {"status_code": 429, "detail": f"rate limit exceeded ({decision.scope})"}
        return 429, body, [(b"retry-after", str(decision.retry_after_s).encode())]

    def _observe(self, scope: Scope, status: int, elapsed: float, request_id: str) -> None:
        route = scope.get("path_template") or "unmatched"
        method = scope.get("method", "")
        REQUESTS.labels(route, method, str(status)).inc()
        LATENCY.labels(route, method).observe(elapsed)
        if self._access_log:
            log.info(
                "request",
                method=method,
                path=scope.get("path"),
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                client=(scope.get("client") or ("",))[0],
                request_id=request_id,
            )
