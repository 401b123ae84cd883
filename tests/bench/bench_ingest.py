"""Ingest benchmark: simulator -> Mosquitto -> 2 connectors -> Kafka -> Faust -> PostgreSQL.

Measures, on this machine with every component running locally:
- sustained throughput: rows committed per second while the simulator publishes at the
  offered rate, and whether the pipeline kept up (drain time after publishing stopped);
- loss and duplicates: every message id sent vs every message id stored;
- latency: p50/p99 from the device timestamp to the row's ``ingested_at`` (the sink's
  transaction time, committed milliseconds later);
- reference: the same simulator publishing flat out to the same Mosquitto with one
  subscriber (``mosquitto_sub``) and no storage; the ratio pipeline/reference is reported.

Assumes the stack is up (``make bench-ingest`` runs it under ``ops/with-stack``). Uses a
private Mosquitto whose session queues hold a Kafka hiccup's backlog (see the fault test).
Writes ``bench-results/ingest.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tests.integration.ingest.pipeline import SERIES, Pipeline, Proc, throwaway_db  # noqa: E402
from tests.support.mosquitto import run_mosquitto  # noqa: E402
from tests.support.stack import read_stack_env  # noqa: E402

BROKER_CONFIG = "max_queued_messages 10000000\nmax_inflight_messages 0\nlog_type none\n"
TARGET_RATE = 5000.0
TARGET_P99_S = 2.0


@dataclass
class Reference:
    published: int
    received: int
    rate: float


@dataclass
class PipelineResult:
    offered: float
    sent: int
    publish_s: float
    stored: int
    missing: int
    duplicates: int
    steady_rate: float
    drain_s: float
    p50_s: float
    p99_s: float
    max_s: float
    cloud_p50_s: float
    cloud_p99_s: float
    timeline: list[tuple[int, int]]


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=300.0, help="pipeline run seconds (300)")
    p.add_argument("--rate", type=float, default=TARGET_RATE, help="offered msgs/s (5000)")
    p.add_argument("--devices", type=int, default=5000, help="simulated devices (5000)")
    p.add_argument(
        "--reference-duration",
        type=float,
        default=20.0,
        help="seconds of the Mosquitto-only reference run (20)",
    )
    p.add_argument(
        "--profile",
        type=float,
        default=0.0,
        help="py-spy the connector and worker for this many seconds (0 = off)",
    )
    p.add_argument("--workers", type=int, default=2, help="Faust worker processes (2)")
    p.add_argument("--batch-size", type=int, default=2000, help="worker batch size (2000)")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results" / "ingest.md")
    return p.parse_args()


def reference(broker: tuple[str, int], devices: int, seconds: float, log_dir: Path) -> Reference:
    """The simulator flat out to Mosquitto, one C subscriber, nothing stored."""
    host, port = broker
    stamps = log_dir / "reference.stamps"
    with stamps.open("w") as out:
        sub = subprocess.Popen(
            [
                "mosquitto_sub",
                "-h",
                host,
                "-p",
                str(port),
                "-q",
                "1",
                "-t",
                "adwatch/v1/#",
                "-F",
                "%U",
            ],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1.0)
            sim = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "edge.cli",
                    "simulate",
                    "--host",
                    host,
                    "--port",
                    str(port),
                    "--devices",
                    str(devices),
                    "--rate",
                    "1000000",
                    "--duration",
                    str(seconds),
                    "--id-prefix",
                    "ref",
                    "--no-retain",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            time.sleep(3.0)
        finally:
            sub.terminate()
            sub.wait(10)
    lines = stamps.read_text().split()
    times = [float(x) for x in lines]
    published = int(sim.stdout.split("published=")[1].split()[0])
    span = max(times[-1] - times[0], 1e-9) if len(times) > 1 else 1.0
    return Reference(published, len(times), len(times) / span)


def _stored(dsn: str, prefix: str) -> tuple[set[str], int]:
    union = " UNION ALL ".join(
        f"SELECT message_id::text FROM {t} WHERE device_id LIKE %(p)s" for t in SERIES
    )
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(union, {"p": f"{prefix}%"}).fetchall()
    ids = [r[0] for r in rows]
    return set(ids), len(ids) - len(set(ids))


def _latency_and_timeline(dsn: str, prefix: str) -> tuple[list[float], list[tuple[int, int]]]:
    union = " UNION ALL ".join(
        f"SELECT time, received_at, ingested_at FROM {t} WHERE device_id LIKE %(p)s" for t in SERIES
    )
    sql = f"""
        WITH r AS ({union})
        SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP
                   (ORDER BY extract(epoch FROM ingested_at - time)),
               max(extract(epoch FROM ingested_at - time))::float8,
               percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP
                   (ORDER BY extract(epoch FROM ingested_at - received_at))
        FROM r"""
    timeline_sql = f"""
        WITH r AS ({union})
        SELECT extract(epoch FROM date_trunc('second', ingested_at))::bigint AS s, count(*)
        FROM r GROUP BY 1 ORDER BY 1"""
    with psycopg.connect(dsn) as conn:
        ((quantiles, worst, cloud),) = conn.execute(sql, {"p": f"{prefix}%"}).fetchall()
        timeline = [(int(s), int(n)) for s, n in conn.execute(timeline_sql, {"p": f"{prefix}%"})]
    return [*quantiles, worst, *cloud], timeline


def _steady_rate(timeline: list[tuple[int, int]], start: float, end: float) -> float:
    """Rows committed per second between 10% into the run and the end of publishing."""
    lo = start + 0.1 * (end - start)
    rows = sum(n for s, n in timeline if lo <= s < int(end))
    return rows / max(1.0, int(end) - lo)


def _profile(procs: list[Proc], seconds: float, log_dir: Path) -> dict[str, Path]:
    outs: dict[str, Path] = {}
    running = []
    for proc in procs:
        assert proc.proc is not None
        out = log_dir / f"profile-{proc.name}.txt"
        running.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(proc.proc.pid),
                    "--duration",
                    str(int(seconds)),
                    "--format",
                    "raw",
                    "--nonblocking",
                    "-o",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        outs[proc.name] = out
    for r in running:
        r.wait()
    return outs


def collapsed(raw: Path) -> Iterator[tuple[str, int]]:
    """(stack, samples) per line of py-spy's collapsed output; nothing if there is none."""
    if not raw.exists():
        return
    for line in raw.read_text().splitlines():
        stack, _, num = line.rpartition(" ")
        if stack and num.isdigit():
            yield stack, int(num)


def top_frames(raw: Path, n: int = 12) -> list[tuple[str, float]]:
    """Self time by innermost frame from py-spy's collapsed stacks (share of samples)."""
    counts: dict[str, int] = {}
    total = 0
    for stack, num in collapsed(raw):
        leaf = stack.split(";")[-1]
        counts[leaf] = counts.get(leaf, 0) + num
        total += num
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:n]
    return [(name, count / max(total, 1)) for name, count in ranked]


# Where a process's samples go, inclusive (a sample counts for every group on its stack).
GROUPS = {
    "aiokafka (fetch / produce)": ("aiokafka/",),
    "paho-mqtt": ("paho/",),
    "database sink (cloud.db.sink + psycopg)": ("cloud/db/", "psycopg/"),
    "Redis hot state (cloud.state + redis)": ("cloud/state/", "redis/"),
    "batch decode (msgspec)": ("decode_batch",),
    "connector routing/validation": ("broker/connector/route.py",),
}


REST = "everything else (Faust streams and consumer, asyncio, paho's loop, logging)"


def inclusive_shares(raw: Path) -> list[tuple[str, float]]:
    counts: dict[str, int] = {}
    total = 0
    for stack, num in collapsed(raw):
        total += num
        hit = False
        for name, needles in GROUPS.items():
            if any(n in stack for n in needles):
                counts[name] = counts.get(name, 0) + int(num)
                hit = True
        if not hit:
            counts[REST] = counts.get(REST, 0) + int(num)
    return sorted(((k, v / max(total, 1)) for k, v in counts.items()), key=lambda kv: -kv[1])


def run_pipeline(
    pipe: Pipeline, args: argparse.Namespace
) -> tuple[PipelineResult, dict[str, Path]]:
    connectors = [pipe.connector(1).start(), pipe.connector(2).start()]
    workers = [
        pipe.worker(f"worker-{i + 1}", batch_size=args.batch_size).start()
        for i in range(args.workers)
    ]
    worker = workers[0]
    for c in connectors:
        c.wait_log("connector.started", timeout=90)
    time.sleep(8.0)  # let the Faust worker join its group
    start = time.time()
    sim = pipe.simulator(
        devices=args.devices,
        rate=args.rate,
        duration=args.duration,
        seed=7,
        tenants=10,
        locations=50,
    )
    profiles: dict[str, Path] = {}
    if args.profile:
        time.sleep(min(30.0, args.duration / 3))
        profiles = _profile([connectors[0], worker], args.profile, pipe.log_dir)
    sim.wait(timeout=args.duration + 600)
    publish_end = time.time()
    sent = sim.ids()
    deadline = time.monotonic() + 600
    stored, dups = _stored(pipe.dsn, pipe.device_prefix)
    while not sent <= stored and time.monotonic() < deadline:
        time.sleep(2.0)
        stored, dups = _stored(pipe.dsn, pipe.device_prefix)
    (p50, p99, worst, cloud_p50, cloud_p99), timeline = _latency_and_timeline(
        pipe.dsn, pipe.device_prefix
    )
    last_commit = timeline[-1][0] + 1 if timeline else publish_end
    result = PipelineResult(
        offered=args.rate,
        sent=len(sent),
        publish_s=publish_end - start,
        stored=len(stored & sent),
        missing=len(sent - stored),
        duplicates=dups,
        steady_rate=_steady_rate(timeline, start, publish_end),
        drain_s=max(0.0, last_commit - publish_end),
        p50_s=p50,
        p99_s=p99,
        max_s=worst,
        cloud_p50_s=cloud_p50,
        cloud_p99_s=cloud_p99,
        timeline=timeline,
    )
    return result, profiles


def report(
    args: argparse.Namespace, ref: Reference, res: PipelineResult, profiles: dict[str, Path]
) -> str:
    kept_up = res.drain_s <= 5.0
    ok = (
        res.missing == 0
        and res.duplicates == 0
        and kept_up
        and res.steady_rate >= TARGET_RATE * 0.98
        and res.p99_s < TARGET_P99_S
    )
    lines = [
        "# Ingest benchmark",
        "",
        f"Run: `tests/bench/bench_ingest.py --duration {args.duration:g} --rate {args.rate:g} "
        f"--devices {args.devices} --workers {args.workers}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, all components on this "
        f"machine ({os.cpu_count()} cores, shared with other work: load average "
        f"{args.load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| offered rate | {res.offered:,.0f} msgs/s for {args.duration:g} s |",
        f"| messages sent (QoS 1, acknowledged) | {res.sent:,} in {res.publish_s:.1f} s "
        f"({res.sent / res.publish_s:,.0f} msgs/s) |",
        f"| rows committed per second (steady window) | {res.steady_rate:,.0f} |",
        f"| drain after publishing stopped | {res.drain_s:.1f} s "
        f"({'kept up' if kept_up else 'fell behind'}) |",
        f"| stored / missing / duplicate | {res.stored:,} / {res.missing} / {res.duplicates} |",
        f"| latency device ts -> committed, p50 / p99 / max | {res.p50_s:.3f} s / "
        f"{res.p99_s:.3f} s / {res.max_s:.3f} s |",
        f"| latency connector receive -> committed, p50 / p99 | {res.cloud_p50_s:.3f} s / "
        f"{res.cloud_p99_s:.3f} s |",
        f"| reference: simulator -> Mosquitto -> subscriber | {ref.rate:,.0f} msgs/s "
        f"({ref.received:,} of {ref.published:,} received) |",
        f"| ratio pipeline / reference | {res.steady_rate / ref.rate:.2f} |",
        f"| target (>= {TARGET_RATE:,.0f} msgs/s, zero loss, p99 < {TARGET_P99_S:g} s) | "
        f"{'met' if ok else 'NOT met'} |",
        "",
    ]
    for name, path in profiles.items():
        lines += [
            f"## Profile: {name} (py-spy, self time by frame)",
            "",
            "| share | frame |",
            "|---|---|",
        ]
        lines += [f"| {share:.1%} | `{frame}` |" for frame, share in top_frames(path)]
        lines += ["", "| share of samples (inclusive) | where |", "|---|---|"]
        lines += [f"| {share:.1%} | {name} |" for name, share in inclusive_shares(path)]
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> int:
    args = _args()
    args.load_before = os.getloadavg()[0]
    env = read_stack_env()
    log_dir = ROOT / "run" / "bench-ingest"
    subprocess.run(["rm", "-rf", str(log_dir)], check=True)
    log_dir.mkdir(parents=True)
    with (
        run_mosquitto(BROKER_CONFIG) as broker,
        throwaway_db(env["ADWATCH_PG_ADMIN_DSN"], env["ADWATCH_PG_DSN"]) as dsn,
    ):
        mqtt = (broker.host, broker.port)
        ref = reference(mqtt, args.devices, args.reference_duration, log_dir)
        print(f"reference: {ref.rate:,.0f} msgs/s", file=sys.stderr)
        pipe = Pipeline(
            env["ADWATCH_KAFKA_BOOTSTRAP"], mqtt, env["ADWATCH_REDIS_URL"], dsn, log_dir
        )
        try:
            res, profiles = run_pipeline(pipe, args)
        finally:
            pipe.stop_all()
            pipe.cleanup()
    text = report(args, ref, res, profiles)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
