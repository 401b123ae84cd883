"""``adwatch-edge simulate``: publish schema-valid traffic for a simulated fleet."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from edge.simulate.fleet import FleetShape
from edge.simulate.publisher import RunPlan, SimulateError, Simulator, write_online


def _parser() -> argparse.ArgumentParser:
    env = os.environ
    p = argparse.ArgumentParser(
        prog="adwatch-edge simulate",
        description="Publish realistic, schema-valid uplink traffic (status, health, "
        "telemetry, ad breaks) for N simulated devices, QoS 1, at a paced overall rate. "
        "Prints progress to stderr and the final counts to stdout.",
    )
    p.add_argument("--devices", type=int, default=100, help="number of devices (default 100)")
    p.add_argument("--rate", type=float, default=100.0, help="messages/s overall (default 100)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds to run (default 10)")
    p.add_argument("--tenants", type=int, default=1, help="tenants to spread devices over")
    p.add_argument("--locations", type=int, default=1, help="locations per tenant")
    p.add_argument(
        "--host",
        default=env.get("ADWATCH_MQTT_HOST", "127.0.0.1"),
        help="MQTT broker (env ADWATCH_MQTT_HOST)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=int(env.get("ADWATCH_MQTT_PORT", "1883")),
        help="MQTT port (env ADWATCH_MQTT_PORT)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--id-prefix", default="sim", help="prefix of tenant/location/device ids (default sim)"
    )
    p.add_argument(
        "--offline-fraction",
        type=float,
        default=0.0,
        help="share of devices that publish an offline status at the end",
    )
    p.add_argument("--no-retain", action="store_true", help="do not retain status messages")
    p.add_argument("--inflight", type=int, default=1000, help="max un-acked publishes")
    p.add_argument("--ids-out", type=Path, help="write every sent message id to this file")
    p.add_argument(
        "--online-out",
        type=Path,
        help="write tenant/location/device of devices left online to this file",
    )
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.devices < 1 or args.rate <= 0 or args.tenants < 1 or args.locations < 1:
        print(
            "simulate: --devices, --rate, --tenants and --locations must be positive",
            file=sys.stderr,
        )
        return 2
    plan = RunPlan(
        host=args.host,
        port=args.port,
        rate=args.rate,
        duration_s=args.duration,
        shape=FleetShape(
            devices=args.devices,
            tenants=args.tenants,
            locations=args.locations,
            seed=args.seed,
            prefix=args.id_prefix,
        ),
        offline_fraction=args.offline_fraction,
        retain_status=not args.no_retain,
        inflight=args.inflight,
    )
    with contextlib.ExitStack() as stack:
        ids = stack.enter_context(args.ids_out.open("w")) if args.ids_out else None
        try:
            result = Simulator(plan, ids).run()
        except SimulateError as exc:
            print(f"simulate: {exc}", file=sys.stderr)
            return 1
    if args.online_out:
        write_online(args.online_out, result)
    print(
        f"published={result.published} acknowledged={result.acknowledged} "
        f"elapsed_s={result.elapsed_s:.2f} rate={result.published / result.elapsed_s:.0f}/s"
    )
    return 0 if result.acknowledged == result.published else 1
