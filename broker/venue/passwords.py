"""Password file in mosquitto 2.0's format, so one file serves amqtt and Mosquitto.

Each line is ``username:$7$<iterations>$<salt b64>$<hash b64>``: PBKDF2-HMAC-SHA512
over the UTF-8 password with a 12-byte salt, exactly as ``mosquitto_passwd`` (2.0)
writes it; Debian's mosquitto 2.0.11 reads any iteration count, and the
integration test proves it with the real broker. Blank lines and ``#`` comments
are allowed. Pure functions; the only I/O is ``load_password_file``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from broker.errors import AuthError

DEFAULT_ITERATIONS = 10_000  # mosquitto_passwd writes 101; more costs ~10 ms per CONNECT
_SALT_BYTES = 12


def hash_password(
    password: str, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None
) -> str:
    """Return a ``$7$`` PBKDF2-SHA512 hash that mosquitto 2.0 and ``verify_password`` accept."""
    if iterations < 1:
        raise AuthError(f"iterations must be positive, not {iterations}")
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, hashed: str) -> bool:
    """Constant-time check of ``password`` against a ``$7$`` hash; False for any malformed hash."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != "7":
        return False
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except (ValueError, binascii.Error):
        return False
    if iterations < 1 or iterations > 10_000_000:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(digest, expected)


def parse_password_file(text: str) -> dict[str, str]:
    """``{username: hash}`` from the file's text; AuthError names the bad line."""
    users: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, hashed = line.partition(":")
        if not sep or not name or not hashed.startswith("$7$"):
            raise AuthError(f"password file line {number}: expected user:$7$... hash")
        if name in users:
            raise AuthError(f"password file line {number}: user {name!r} listed twice")
        users[name] = hashed
    return users


def format_password_file(users: Mapping[str, str]) -> str:
    """The file text for ``{username: hash}`` (sorted, newline-terminated)."""
    for name in users:
        if ":" in name or not name.strip() or "\n" in name:
            raise AuthError(f"bad user name {name!r}")
    return "".join(f"{name}:{users[name]}\n" for name in sorted(users))


def load_password_file(path: str | os.PathLike[str]) -> dict[str, str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AuthError(f"cannot read password file {path}: {exc}") from exc
    return parse_password_file(text)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
