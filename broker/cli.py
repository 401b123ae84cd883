"""``adwatch-broker``: MQTT plumbing between devices, venues and the cloud."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.cli_dispatch import SubCommand, run

COMMANDS = {
    "venue": SubCommand("broker.venue.cli", "run the embedded venue broker (amqtt)"),
    "bridge": SubCommand("broker.bridge.cli", "run the venue->cloud store-and-forward bridge"),
    "mosquitto-config": SubCommand(
        "broker.mosquitto.cli", "generate an equivalent Mosquitto config"
    ),
    "connector": SubCommand("broker.connector.cli", "run the cloud MQTT -> Kafka connector"),
}


def main(argv: Sequence[str] | None = None) -> int:
    return run("adwatch-broker", __doc__ or "", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
