"""The topic tree: builder and parser agree; bad topics only ever raise SchemaError."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import topics as t
from schemas.errors import SchemaError

ident = st.from_regex(r"[a-z0-9][a-z0-9-]{0,62}", fullmatch=True)
tenant = ident.filter(lambda s: s not in t.RESERVED_TENANTS)
location = ident.filter(lambda s: s not in t.RESERVED_LOCATIONS)


@given(tenant, location, ident, st.sampled_from(list(t.TopicKind)))
def test_device_topic_round_trip(ten: str, loc: str, dev: str, kind: t.TopicKind) -> None:
    topic = t.device_topic(ten, loc, dev, kind)
    assert t.parse_topic(topic) == t.DeviceTopic(ten, loc, dev, kind)


@given(tenant, ident, ident)
def test_ota_topic_round_trip(ten: str, channel: str, hw: str) -> None:
    assert t.parse_topic(t.ota_topic(ten, channel, hw)) == t.OtaTopic(ten, channel, hw)


@given(ident, st.sampled_from(["request", "response"]))
def test_provision_topic_round_trip(claim: str, direction: str) -> None:
    topic = t.provision_topic(claim, direction)  # type: ignore[arg-type]
    assert t.parse_topic(topic) == t.ProvisionTopic(claim, direction)  # type: ignore[arg-type]


def test_examples_from_the_architecture() -> None:
    assert t.device_topic("acme", "bar-1", "tv-3", t.TopicKind.AD_EVENTS) == (
        "adwatch/v1/acme/bar-1/tv-3/events/ad"
    )
    assert t.parse_device_topic("adwatch/v1/acme/bar-1/tv-3/cmd/result").kind is (
        t.TopicKind.CMD_RESULT
    )


@pytest.mark.parametrize(
    "topic",
    [
        "adwatch/v1/acme/bar/+/status",
        "adwatch/v1/acme/bar/#",
        "adwatch/v1/acme//tv/status",
        "adwatch/v1/acme/bar/tv/",
        "adwatch/v1/acme/bar/tv/status/",
        "adwatch/v1/Acme/bar/tv/status",
        "adwatch/v1/acme/bar/tv\x00/status",
        "adwatch/v1/acme/bar/tv/nope",
        "adwatch/v2/acme/bar/tv/status",
        "/adwatch/v1/acme/bar/tv/status",
        "adwatch/v1/acme/ota/stable",
        "adwatch/v1/provision/claim/other",
        "adwatch/v1/acme/bar/-tv/status",
        "adwatch/v1/" + "a" * 64 + "/bar/tv/status",
        "",
    ],
)
def test_bad_topics(topic: str) -> None:
    with pytest.raises(SchemaError):
        t.parse_topic(topic)


@pytest.mark.parametrize("bad", ["", "+", "#", "a/b", "A", "a\x00", "-a", "a" * 64])
def test_builder_rejects_bad_ids(bad: str) -> None:
    with pytest.raises(SchemaError):
        t.device_topic("acme", bad, "tv", "status")
    with pytest.raises(SchemaError):
        t.device_topic(bad, "bar", "tv", "status")


def test_filters() -> None:
    assert t.device_filter("acme") == "adwatch/v1/acme/+/+/#"
    assert "adwatch/v1/+/+/+/events/ad" in t.uplink_filters()
    assert t.downlink_filters("acme", "bar", "tv") == [
        "adwatch/v1/acme/bar/tv/config",
        "adwatch/v1/acme/bar/tv/cmd",
    ]
    assert t.ota_filter("acme") == "adwatch/v1/acme/ota/+/+"
    assert t.shared("ingest", "adwatch/v1/+/+/+/health") == (
        "$share/ingest/adwatch/v1/+/+/+/health"
    )
    with pytest.raises(SchemaError):
        t.device_filter("ac/me")


@settings(max_examples=2500, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        st.text(max_size=120),
        st.lists(
            st.sampled_from(
                [
                    "adwatch",
                    "v1",
                    "acme",
                    "ota",
                    "provision",
                    "status",
                    "cmd",
                    "result",
                    "events",
                    "ad",
                    "+",
                    "#",
                    "",
                    "x-1",
                    "\x00",
                    "A",
                ]
            ),
            max_size=8,
        ).map("/".join),
        st.binary(max_size=40),
        st.integers(),
        st.none(),
    )
)
def test_parser_only_raises_schema_error(topic: object) -> None:
    try:
        address = t.parse_topic(topic)
    except SchemaError:
        return
    assert t.parse_topic(address.topic) == address
