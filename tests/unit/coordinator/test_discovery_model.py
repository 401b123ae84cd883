"""Pure parts of discovery: TXT record, parsing, highest term wins."""

from __future__ import annotations

from edge.discovery.model import (
    SERVICE_TYPE,
    BrokerEndpoint,
    advert_properties,
    instance_name,
    label,
    matches,
    parse_advert,
    pick_leader,
)


def ep(term: int, name: str = "x") -> BrokerEndpoint:
    return BrokerEndpoint(host="10.0.0.1", port=1883, term=term, name=name)


def test_txt_round_trip() -> None:
    props = advert_properties("acme", "bar-1", 7, "1.2")
    parsed = parse_advert("n", dict(props), ["10.0.0.2"], 1883)
    assert parsed == BrokerEndpoint(
        host="10.0.0.2", port=1883, term=7, tenant="acme", location="bar-1", version="1.2", name="n"
    )
    assert matches(parsed, "acme", "bar-1") and not matches(parsed, "acme", "bar-2")


def test_unusable_adverts_are_ignored() -> None:
    props = dict(advert_properties("acme", "bar-1", 7, "1"))
    assert parse_advert("n", props, [], 1883) is None
    assert parse_advert("n", props, ["10.0.0.1"], None) is None
    assert parse_advert("n", {**props, "term": "-1"}, ["10.0.0.1"], 1883) is None
    assert parse_advert("n", {**props, "term": None}, ["10.0.0.1"], 1883) is None


def test_highest_term_wins() -> None:
    assert pick_leader([ep(3), ep(9), ep(4)]) == ep(9)
    assert pick_leader([]) is None
    assert pick_leader([ep(2, "b"), ep(2, "a")]) == ep(2, "b")  # ties: same pick everywhere


def test_instance_name_is_a_valid_label_with_term() -> None:
    name = instance_name("acme", "bar-1", "Node_A" + "x" * 80, 12345)
    instance = name.removesuffix("." + SERVICE_TYPE)
    assert len(instance.encode()) <= 63 and instance.endswith("-t12345")
    assert label("__") == "x"
