"""Token issue/verify without a server: the algorithm is pinned and every claim checked."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cloud.api.auth.guard import bearer
from cloud.api.auth.tokens import Principal, TokenVerifier, issue
from cloud.api.errors import AuthError, ConfigError
from cloud.api.settings import JwtSettings

HS = JwtSettings(secret="s" * 40)


def test_round_trip_hs256() -> None:
    tok = issue(HS, tenant="acme", role="admin", ttl_s=60, subject="ops")
    assert TokenVerifier(HS).verify(tok) == Principal(subject="ops", tenant="acme", role="admin")


def test_round_trip_rs256_and_no_algorithm_confusion(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    priv.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pub.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    cfg = JwtSettings(algorithm="RS256", public_key_file=str(pub), private_key_file=str(priv))
    tok = issue(cfg, tenant="acme", role="viewer", ttl_s=60, subject="ops")
    assert TokenVerifier(cfg).verify(tok).tenant == "acme"
    # An HS256 token "signed" with the public key must not pass an RS256 verifier.
    now = int(time.time())
    forged = jwt.encode(
        {
            "iss": cfg.issuer,
            "aud": cfg.audience,
            "sub": "x",
            "iat": now,
            "exp": now + 60,
            "tenant": "acme",
            "role": "admin",
        },
        "p" * 40,
        algorithm="HS256",
    )
    with pytest.raises(AuthError):
        TokenVerifier(cfg).verify(forged)


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 1},
        {"aud": "x"},
        {"iss": "x"},
        {"tenant": "Not Valid"},
        {"role": "root"},
        {"tenant": None},
        {"sub": None},
        {"iat": None},
    ],
)
def test_bad_claims_are_rejected(claims: dict[str, object]) -> None:
    now = int(time.time())
    body = {
        "iss": HS.issuer,
        "aud": HS.audience,
        "sub": "x",
        "iat": now,
        "exp": now + 60,
        "tenant": "acme",
        "role": "viewer",
        **claims,
    }
    tok = jwt.encode({k: v for k, v in body.items() if v is not None}, HS.secret, algorithm="HS256")
    with pytest.raises(AuthError):
        TokenVerifier(HS).verify(tok)


def test_alg_none_is_rejected() -> None:
    now = int(time.time())
    tok = jwt.encode(
        {
            "iss": HS.issuer,
            "aud": HS.audience,
            "sub": "x",
            "iat": now,
            "exp": now + 60,
            "tenant": "acme",
            "role": "admin",
        },
        None,  # type: ignore[arg-type]  # alg=none takes no key
        algorithm="none",
    )
    with pytest.raises(AuthError):
        TokenVerifier(HS).verify(tok)


def test_issue_rejects_bad_input() -> None:
    with pytest.raises(ConfigError):
        issue(HS, tenant="UPPER", role="viewer", ttl_s=60, subject="x")
    with pytest.raises(ConfigError):
        issue(HS, tenant="acme", role="viewer", ttl_s=0, subject="x")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer  ", "Basic abc", "token abc"])
def test_bearer_requires_the_scheme(header: str | None) -> None:
    with pytest.raises(AuthError):
        bearer(header)


def test_bearer_extracts_the_token() -> None:
    assert bearer("bearer abc.def") == "abc.def"


def test_accepted_tokens_are_remembered_until_they_expire() -> None:
    cfg = JwtSettings(secret="s" * 40, leeway_s=0)
    verifier = TokenVerifier(cfg)
    tok = issue(cfg, tenant="acme", role="viewer", ttl_s=2, subject="ops")
    first = verifier.verify(tok)
    assert verifier.verify(tok) == first and tok in verifier._accepted
    time.sleep(2.1)  # past exp: the remembered token is checked again, and refused
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(tok)
    assert tok not in verifier._accepted


def test_refused_tokens_are_never_remembered() -> None:
    verifier = TokenVerifier(HS)
    forged = issue(JwtSettings(secret="x" * 40), tenant="acme", role="admin", ttl_s=60,
                   subject="ops")  # fmt: skip
    for _ in range(2):
        with pytest.raises(AuthError, match=r"(?i)signature"):
            verifier.verify(forged)


def test_remembered_tokens_are_bounded() -> None:
    verifier = TokenVerifier(HS, remember=2)
    toks = [issue(HS, tenant=f"t{i}", role="viewer", ttl_s=60, subject="ops") for i in range(3)]
    assert [verifier.verify(t).tenant for t in toks] == ["t0", "t1", "t2"]
    assert len(verifier._accepted) == 2 and toks[0] not in verifier._accepted
