"""The link's PUBACK bookkeeping against a real on-disk outbox."""

from __future__ import annotations

from pathlib import Path

from broker.spool import Spool
from edge.worker.link import PubackLedger


def test_puback_before_or_after_bookkeeping_acks_the_right_message(tmp_path: Path) -> None:
    with Spool(tmp_path / "outbox.sqlite") as spool:
        seqs = [spool.put(f"t/{i}", b"x") for i in range(3)]
        acks = PubackLedger(spool)
        acks.sent(11, seqs[0] or 0)
        assert acks.inflight() == 1
        assert acks.acked(11)  # normal order
        assert not acks.acked(12)  # PUBACK raced ahead of sent()
        acks.sent(12, seqs[1] or 0)  # ... and is applied when the bookkeeping catches up
        acks.sent(13, seqs[2] or 0)
        assert [item.topic for item in spool.peek(10)] == ["t/2"]
        assert acks.inflight() == 1
