"""The durable FIFO: order, ack, byte bound and drop policy, reopen, gauges."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from broker.spool import MessageClass, Outgoing, Spool, SpoolError, SpoolFull, classify_topic
from schemas.topics import TopicKind, device_topic

EVENTS = device_topic("acme", "bar-1", "tv-1", TopicKind.AD_EVENTS)
HEALTH_1 = device_topic("acme", "bar-1", "tv-1", TopicKind.HEALTH)
HEALTH_2 = device_topic("acme", "bar-1", "tv-2", TopicKind.HEALTH)
LATEST = MessageClass.LATEST


def test_fifo_peek_and_ack(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db") as spool:
        seqs = [spool.put(EVENTS, f"m{i}".encode()) or 0 for i in range(5)]
        assert seqs == sorted(seqs) and 0 not in seqs
        first = spool.peek(3)
        assert [i.payload for i in first] == [b"m0", b"m1", b"m2"]
        rest = spool.peek(10, after=first[-1].seq)
        assert [i.payload for i in rest] == [b"m3", b"m4"]
        assert spool.ack(first[0].seq, first[1].seq) == 2
        assert spool.ack(first[0].seq) == 0  # already gone: ignored
        assert [i.payload for i in spool.peek(10)] == [b"m2", b"m3", b"m4"]
        assert spool.depth == 3


def test_item_fields_round_trip(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db") as spool:
        spool.put(HEALTH_1, b"\x00\xff", qos=2, retain=True, klass=LATEST)
        (item,) = spool.peek(1)
    assert (item.topic, item.payload, item.qos, item.retain, item.klass) == (
        HEALTH_1,
        b"\x00\xff",
        2,
        True,
        LATEST,
    )


def test_seq_never_reused_after_emptying(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db") as spool:
        first = spool.put(EVENTS, b"a")
        assert first is not None
        spool.ack(first)
    with Spool(tmp_path / "q.db") as spool:
        second = spool.put(EVENTS, b"b")
    assert second is not None and second > first


def test_reopen_resumes_with_gauges(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db") as spool:
        for _ in range(10):
            spool.put(EVENTS, b"x" * 10, klass=MessageClass.KEEP)
        spool.ack(*[i.seq for i in spool.peek(4)])
        size = spool.bytes
    with Spool(tmp_path / "q.db") as spool:
        assert spool.depth == 6
        assert spool.bytes == size == 6 * (10 + len(EVENTS))
        assert len(spool.peek(100)) == 6


def test_bytes_count_payload_and_topic(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db") as spool:
        spool.put(EVENTS, b"12345")
        assert spool.bytes == 5 + len(EVENTS.encode())


def test_full_of_events_raises_and_writes_nothing(tmp_path: Path) -> None:
    one = 10 + len(EVENTS)
    with Spool(tmp_path / "q.db", max_bytes=3 * one) as spool:
        for _ in range(3):
            spool.put(EVENTS, b"e" * 10)
        with pytest.raises(SpoolFull):
            spool.put(EVENTS, b"e" * 10)
        with pytest.raises(SpoolFull):
            spool.put_many([Outgoing(EVENTS, b"")] * 0 + [Outgoing(EVENTS, b"e" * 10)])
        assert spool.depth == 3  # nothing dropped, nothing half-written
        spool.ack(spool.peek(1)[0].seq)
        assert spool.put(EVENTS, b"e" * 10) is not None


def test_put_many_is_all_or_nothing(tmp_path: Path) -> None:
    one = 10 + len(EVENTS)
    with Spool(tmp_path / "q.db", max_bytes=3 * one) as spool:
        spool.put(EVENTS, b"e" * 10)
        with pytest.raises(SpoolFull):
            spool.put_many([Outgoing(EVENTS, b"e" * 10)] * 3)
        assert spool.depth == 1


def test_health_coalesces_to_latest_per_device_when_full(tmp_path: Path) -> None:
    one = 10 + len(HEALTH_1)
    with Spool(tmp_path / "q.db", max_bytes=4 * one) as spool:
        for i in range(3):
            spool.put(HEALTH_1, f"h1-{i:06}".encode(), klass=LATEST)
        spool.put(HEALTH_2, b"h2-000000", klass=LATEST)
        assert spool.depth == 4
        spool.put(HEALTH_2, b"h2-000001", klass=LATEST)  # full: coalesce
        payloads = [i.payload for i in spool.peek(10)]
        assert payloads == [b"h1-000002", b"h2-000000", b"h2-000001"]
        assert spool.stats().coalesced == 2


def test_events_never_dropped_for_health(tmp_path: Path) -> None:
    one = 10 + len(EVENTS)
    with Spool(tmp_path / "q.db", max_bytes=3 * one + 10) as spool:
        spool.put(HEALTH_1, b"h" * 10, klass=LATEST)
        spool.put(EVENTS, b"e" * 10)
        spool.put(EVENTS, b"e" * 10)
        # A newer health report replaces its own queued one ...
        assert spool.put(HEALTH_1, b"H" * 10, klass=LATEST) is not None
        # ... a report from another device that fits nowhere is dropped, not an event.
        assert spool.put(HEALTH_2, b"h" * 20, klass=LATEST) is None
        with pytest.raises(SpoolFull):
            spool.put(EVENTS, b"e" * 20)
        kinds = [(i.topic, i.payload) for i in spool.peek(10)]
        assert kinds == [(EVENTS, b"e" * 10), (EVENTS, b"e" * 10), (HEALTH_1, b"H" * 10)]


def test_put_wait_gets_room_from_ack(tmp_path: Path) -> None:
    one = 1 + len(EVENTS)
    with Spool(tmp_path / "q.db", max_bytes=one) as spool:
        first = spool.put(EVENTS, b"a")
        assert first is not None
        with pytest.raises(SpoolFull):
            spool.put_wait(Outgoing(EVENTS, b"b"), timeout=0.05)
        timer = threading.Timer(0.1, spool.ack, args=(first,))
        timer.start()
        assert spool.put_wait(Outgoing(EVENTS, b"b"), timeout=10) is not None
        timer.join()
        assert [i.payload for i in spool.peek(5)] == [b"b"]


def test_oldest_age_uses_clock(tmp_path: Path) -> None:
    now = [1000.0]
    with Spool(tmp_path / "q.db", clock=lambda: now[0]) as spool:
        assert spool.oldest_age() == 0.0
        spool.put(EVENTS, b"a")
        now[0] = 1012.5
        spool.put(EVENTS, b"b")
        assert spool.oldest_age() == pytest.approx(12.5)


def test_second_opener_refused(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db"), pytest.raises(SpoolError):
        Spool(tmp_path / "q.db")


def test_closed_spool_refuses(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "q.db")
    spool.close()
    with pytest.raises(SpoolError):
        spool.put(EVENTS, b"a")


def test_bad_input_is_a_spool_error(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db") as spool:
        with pytest.raises(SpoolError):
            spool.put(EVENTS, b"a", qos=3)
        with pytest.raises(SpoolError):
            spool.put(EVENTS, "text")  # type: ignore[arg-type]


def test_threads_share_one_spool(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db", synchronous="NORMAL") as spool:

        def writer(n: int) -> None:
            for i in range(200):
                spool.put(EVENTS, f"{n}-{i}".encode())

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        items = spool.peek(1000)
        assert len({i.payload for i in items}) == 800 == spool.depth


def test_classify_topic() -> None:
    assert classify_topic(HEALTH_1) is LATEST
    assert classify_topic(EVENTS) is MessageClass.KEEP
    assert classify_topic(device_topic("acme", "bar-1", "tv-1", "telemetry")) is MessageClass.KEEP
    assert classify_topic("not/ours") is MessageClass.KEEP


def test_compact_gives_disk_back_after_draining(tmp_path: Path) -> None:
    with Spool(tmp_path / "q.db") as spool:
        spool.put_many([Outgoing(EVENTS, b"x" * 1000) for _ in range(3000)])
        full = spool.disk_bytes()
        spool.ack(*[i.seq for i in spool.peek(3000)])
        spool.compact()
        assert spool.disk_bytes() < full // 10
        assert spool.put(EVENTS, b"after") is not None  # still usable
