"""``adwatch-edge``: everything that runs on a venue's devices."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.cli_dispatch import SubCommand, run

COMMANDS = {
    "corpus": SubCommand("edge.detect.cli_corpus", "generate a synthetic broadcast corpus"),
    "detect": SubCommand("edge.detect.cli_detect", "find ad breaks in a video source"),
    "eval": SubCommand("edge.detect.cli_eval", "score the detector on a corpus folder"),
    "tv": SubCommand("edge.tv.cli", "check TV control wiring (tv try ...)"),
    "worker": SubCommand("edge.worker.cli", "run the capture/detect/act worker"),
    "coordinator": SubCommand("edge.coordinator.cli", "run a venue coordinator node (Raft)"),
    "simulate": SubCommand("edge.simulate.cli", "publish simulated device traffic"),
}


def main(argv: Sequence[str] | None = None) -> int:
    return run("adwatch-edge", __doc__ or "", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
