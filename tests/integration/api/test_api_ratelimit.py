"""Rate limits hold across two API processes that share Redis (per token and per IP)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.integration.api import support as s

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

TOKEN_BURST = 5
IP_BURST = 15


@pytest.fixture(scope="module")
def two_apis(
    api_dsn: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    env = s.api_env(
        api_dsn,
        redis_url,
        ADWATCH_API_RATE_LIMIT_PER_TOKEN_RATE="0.2",
        ADWATCH_API_RATE_LIMIT_PER_TOKEN_BURST=str(TOKEN_BURST),
        ADWATCH_API_RATE_LIMIT_PER_IP_RATE="0.2",
        ADWATCH_API_RATE_LIMIT_PER_IP_BURST=str(IP_BURST),
    )  # one env: the same Redis key prefix, as replicas of one deployment have
    root = tmp_path_factory.mktemp("api")
    with ExitStack() as stack:
        a = stack.enter_context(s.run_api(env, root / "a.log"))
        b = stack.enter_context(s.run_api(env, root / "b.log"))
        yield a, b


def _statuses(urls: tuple[str, str], tokens: list[str]) -> list[httpx.Response]:
    out = []
    with httpx.Client() as client:
        for i, tok in enumerate(tokens):
            out.append(client.get(urls[i % 2] + "/api/v1/devices", headers=s.auth(tok)))
    return out


def test_limits_are_shared_across_processes(two_apis: tuple[str, str]) -> None:
    # One token, alternating between the two processes: the token's burst is shared.
    tok = s.token("acme")
    first = _statuses(two_apis, [tok] * 20)
    ok = [r for r in first if r.status_code == 200]
    limited = [r for r in first if r.status_code == 429]
    assert TOKEN_BURST <= len(ok) <= TOKEN_BURST + 1, [r.status_code for r in first]
    assert len(ok) + len(limited) == 20
    assert (
        {r.url.port for r in ok}
        == {r.url.port for r in limited}
        == {httpx.URL(u).port for u in two_apis}
    )
    assert all(int(r.headers["retry-after"]) >= 1 for r in limited)
    assert all("token" in r.json()["detail"] for r in limited)

    # Fresh tokens from the same IP: the IP's burst (shared too) is what is left of it.
    second = _statuses(two_apis, [s.token(f"t{i}") for i in range(20)])
    ok2 = [r for r in second if r.status_code == 200]
    left = IP_BURST - len(ok)
    assert left <= len(ok2) <= left + 1, [r.status_code for r in second]
    assert all("ip" in r.json()["detail"] for r in second if r.status_code == 429)

    # Probes are never limited.
    assert httpx.get(two_apis[0] + "/health").status_code == 200
