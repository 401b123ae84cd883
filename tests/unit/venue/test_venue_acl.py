"""Pure parts of the venue broker: ACL, filter containment, password hashes."""

from __future__ import annotations

import pytest

from broker.errors import AuthError
from broker.venue.acl import AclPolicy, filter_covers
from broker.venue.passwords import (
    format_password_file,
    hash_password,
    parse_password_file,
    verify_password,
)
from schemas.topics import device_topic, ota_topic

POLICY = AclPolicy("acme", "bar-1", frozenset({"coordinator"}))


@pytest.mark.parametrize(
    "kind", ["status", "health", "telemetry", "events/ad", "ota/state", "cmd/result"]
)
def test_device_publishes_its_own_uplinks(kind: str) -> None:
    assert POLICY.can_publish("tv-1", device_topic("acme", "bar-1", "tv-1", kind))


@pytest.mark.parametrize(
    "topic",
    [
        device_topic("acme", "bar-1", "tv-2", "events/ad"),  # another device
        device_topic("acme", "bar-2", "tv-1", "events/ad"),  # another venue
        device_topic("other", "bar-1", "tv-1", "events/ad"),  # another tenant
        device_topic("acme", "bar-1", "tv-1", "config"),  # a downlink
        device_topic("acme", "bar-1", "tv-1", "cmd"),
        ota_topic("acme", "stable", "pi4"),
        "adwatch/v1/acme/bar-1/tv-1/nonsense",
        "$SYS/broker/x",
    ],
)
def test_device_cannot_publish_elsewhere(topic: str) -> None:
    assert not POLICY.can_publish("tv-1", topic)


@pytest.mark.parametrize(
    "topic_filter",
    [
        device_topic("acme", "bar-1", "tv-1", "config"),
        device_topic("acme", "bar-1", "tv-1", "cmd"),
        device_topic("acme", "bar-1", "tv-2", "config"),  # the venue's config
        "adwatch/v1/acme/bar-1/+/config",
        "adwatch/v1/acme/ota/+/+",
        ota_topic("acme", "stable", "pi4"),
        "adwatch/v1/acme/ota/stable/+",
    ],
)
def test_device_subscribes_to_its_downlinks(topic_filter: str) -> None:
    assert POLICY.can_subscribe("tv-1", topic_filter)


@pytest.mark.parametrize(
    "topic_filter",
    [
        "#",
        "adwatch/#",
        "adwatch/v1/acme/bar-1/#",
        "adwatch/v1/acme/bar-1/tv-1/#",
        "adwatch/v1/acme/bar-1/+/cmd",  # other devices' commands
        device_topic("acme", "bar-1", "tv-2", "cmd"),
        device_topic("acme", "bar-1", "tv-2", "events/ad"),  # others' uplink
        "adwatch/v1/+/ota/+/+",
        "adwatch/v1/other/ota/+/+",
        "adwatch/v1/acme/ota/#",
        "$SYS/#",
    ],
)
def test_device_cannot_subscribe_beyond(topic_filter: str) -> None:
    assert not POLICY.can_subscribe("tv-1", topic_filter)


def test_bridge_role_covers_the_tenant_only() -> None:
    assert POLICY.can_subscribe("coordinator", "adwatch/v1/acme/bar-1/+/events/ad")
    assert POLICY.can_subscribe("coordinator", "adwatch/v1/acme/#")
    assert POLICY.can_publish("coordinator", device_topic("acme", "bar-1", "tv-2", "config"))
    assert not POLICY.can_subscribe("coordinator", "#")
    assert not POLICY.can_publish("coordinator", device_topic("other", "bar-1", "tv-2", "config"))


def test_no_user_no_access() -> None:
    assert not POLICY.can_publish(None, device_topic("acme", "bar-1", "tv-1", "health"))
    assert not POLICY.can_subscribe(None, "adwatch/v1/acme/ota/+/+")
    assert not POLICY.can_subscribe("Not An Id", "adwatch/v1/acme/ota/+/+")


@pytest.mark.parametrize(
    ("allowed", "requested", "covered"),
    [
        ("a/+/c", "a/b/c", True),
        ("a/+/c", "a/+/c", True),
        ("a/b/c", "a/+/c", False),
        ("a/#", "a/b/#", True),
        ("a/#", "a", True),  # MQTT: "a/#" matches the parent "a" too
        ("a/+", "a/#", False),
        ("a/+", "a/b/c", False),
        ("a/b", "a/b/c", False),
    ],
)
def test_filter_covers(allowed: str, requested: str, covered: bool) -> None:
    assert filter_covers(allowed, requested) is covered


def test_password_hash_round_trip() -> None:
    hashed = hash_password("s3cret", iterations=1000)
    assert hashed.startswith("$7$1000$")
    assert verify_password("s3cret", hashed)
    assert not verify_password("s3cret!", hashed)
    assert not verify_password("s3cret", "$6$bogus")
    assert not verify_password("s3cret", "$7$x$y$z")


def test_mosquitto_passwd_hash_verifies() -> None:
    # Written by Debian's `mosquitto_passwd -b pw.txt dev1 secret` (2.0.11).
    line = (
        "$7$101$tW0maayL/PjBIT+u$3TE4qnlwSDS4RISZmA3LnU0/Ic4F9CvxkV62yrPPIY4ADpTuVE07IYX8ueyBxd8"
        "QAsqWTIfhwj1QpjuPNL2Nyg=="
    )
    assert verify_password("secret", line)


def test_password_file_round_trip_and_errors() -> None:
    users = {"tv-1": hash_password("a", iterations=10), "coordinator": hash_password("b", 10)}
    text = "# comment\n\n" + format_password_file(users)
    assert parse_password_file(text) == users
    with pytest.raises(AuthError):
        parse_password_file("tv-1:plaintext\n")
    with pytest.raises(AuthError):
        parse_password_file(f"tv-1:{users['tv-1']}\ntv-1:{users['tv-1']}\n")
