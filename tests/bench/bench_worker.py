"""Worker CPU and memory while processing a 720p30 source, against a decode-only reference.

Generates (or takes) a 1280x720 30 fps H.264 broadcast clip, then runs, one after the
other on the same file looping in real time (30 fps, like a live capture):

* the real worker (``adwatch-edge worker``: capture, detection, policy, MQTT publishing
  to a private Mosquitto, outbox), and
* a decode-only reference process (OpenCV ``grab`` + ``retrieve`` of every frame at
  the same pace: the least any worker must spend to watch the source).

Each process is sampled once a second with psutil (CPU % of one core, RSS) after a
warm-up. It also runs the worker once as fast as it can over the file (``speed = 0``)
to report throughput in multiples of real time. Writes ``bench-results/worker.md``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.mosquitto import run_mosquitto  # noqa: E402

PY = sys.executable
REFERENCE = textwrap.dedent(
    """
    import sys, time, cv2
    path, seconds, every = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    t0 = time.monotonic(); n = 0
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG); fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    while time.monotonic() - t0 < seconds:
        if not cap.grab():
            cap.release(); cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG); continue
        if n % every == 0:
            cap.retrieve()
        n += 1
        delay = t0 + n / fps - time.monotonic()
        if delay > 0: time.sleep(delay)
    """
)
CACHE = ROOT / "run" / "bench-cache"


def make_clip(out_dir: Path, minutes: float) -> Path:
    """Generate the clip once; later runs reuse it from run/bench-cache/."""
    found = sorted(out_dir.glob("*.mp4"))
    if found:
        return found[0]
    subprocess.run(
        [
            PY,
            "-m",
            "edge.cli",
            "corpus",
            "generate",
            "--out",
            str(out_dir),
            "--minutes",
            str(minutes),
            "--file-minutes",
            str(minutes),
            "--seed",
            "11",
            "--width",
            "1280",
            "--height",
            "720",
            "--fps",
            "30",
            "--quiet",
        ],
        check=True,
        cwd=ROOT,
    )
    return sorted(out_dir.glob("*.mp4"))[0]


def worker_config(tmp: Path, video: Path, port: int, speed: float, loop: bool) -> Path:
    cfg = tmp / f"worker-{speed}.toml"
    cfg.write_text(
        textwrap.dedent(f"""
        [device]
        tenant = "bench"
        location = "lab"
        device = "worker-1"
        [source]
        url = "{video}"
        loop = {str(loop).lower()}
        speed = {speed}
        [broker]
        host = "127.0.0.1"
        port = {port}
        [outbox]
        path = "{tmp / f"outbox-{speed}.sqlite"}"
        [intervals]
        health_s = 5
        telemetry_s = 10
        [policy]
        action = "none"
        [log]
        level = "warning"
    """)
    )
    return cfg


def sample(proc: subprocess.Popen[bytes], seconds: float, warmup: float) -> dict[str, float]:
    ps = psutil.Process(proc.pid)
    time.sleep(warmup)
    ps.cpu_percent(None)
    cpu: list[float] = []
    rss: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and proc.poll() is None:
        time.sleep(1.0)
        cpu.append(ps.cpu_percent(None))
        rss.append(ps.memory_info().rss / 2**20)
    if len(cpu) < 3:
        raise RuntimeError(f"process {proc.args!r} exited early (code {proc.poll()})")
    return {
        "cpu_mean": statistics.mean(cpu),
        "cpu_p95": sorted(cpu)[int(0.95 * (len(cpu) - 1))],
        "rss_mean": statistics.mean(rss),
        "rss_max": max(rss),
        "samples": len(cpu),
    }


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def run_worker(cfg: Path, seconds: float, warmup: float) -> tuple[dict[str, float], int]:
    proc = subprocess.Popen([PY, "-m", "edge.cli", "worker", "--config", str(cfg)], cwd=ROOT)
    try:
        stats = sample(proc, seconds, warmup)
    finally:
        code = stop(proc)
    return stats, code


def run_reference(video: Path, seconds: float, warmup: float, every: int) -> dict[str, float]:
    """Decode every frame; convert to BGR every ``every``-th frame (1 = all)."""
    argv = [PY, "-c", REFERENCE, str(video), str(seconds + warmup + 5), str(every)]
    proc = subprocess.Popen(argv)
    try:
        return sample(proc, seconds, warmup)
    finally:
        stop(proc)


def throughput(cfg: Path, video_s: float) -> float:
    started = time.monotonic()
    subprocess.run(
        [PY, "-m", "edge.cli", "worker", "--config", str(cfg)], cwd=ROOT, check=True, timeout=1800
    )
    return video_s / (time.monotonic() - started)


def _row(name: str, r: dict[str, float]) -> str:
    return (
        f"| {name} | {r['cpu_mean']:.1f} | {r['cpu_p95']:.1f} | {r['rss_mean']:.0f} "
        f"| {r['rss_max']:.0f} |"
    )


def _ratio(worker: dict[str, float], ref: dict[str, float], key: str) -> float:
    return worker[key] / max(ref[key], 1e-6)


def report(
    video: Path,
    worker: dict[str, float],
    refs: dict[str, dict[str, float]],
    speedup: float,
    code: int,
    seconds: float,
) -> str:
    full, sampled = refs["full"], refs["sampled"]
    return "\n".join(
        [
            "# Worker: CPU and memory on a 720p30 source",
            "",
            f"Source: `{video.name}` (1280x720, 30 fps H.264, synthetic broadcast), looped in "
            f"real time. Sampled every second for {seconds:.0f} s after a warm-up; CPU is % of one "
            f"core (psutil, the process and its threads). Machine: {os.cpu_count()} cores, shared.",
            "",
            "| process | CPU mean % | CPU p95 % | RSS mean MiB | RSS max MiB |",
            "|---|---|---|---|---|",
            _row("worker (capture + detect + policy + MQTT)", worker),
            _row("reference A: decode every frame, BGR every frame", full),
            _row("reference B: decode every frame, BGR at the detector's 5 fps", sampled),
            "",
            f"**Worker / reference A: CPU {_ratio(worker, full, 'cpu_mean'):.2f}x, "
            f"RSS {_ratio(worker, full, 'rss_mean'):.2f}x. Worker / reference B (the worker's own "
            f"decode work): CPU {_ratio(worker, sampled, 'cpu_mean'):.2f}x, "
            f"RSS {_ratio(worker, sampled, 'rss_mean'):.2f}x.**",
            "The worker only converts the frames the detector samples (`grab` for the rest), "
            "so it can cost less than a naive decoder (A); the difference to B is what "
            "detection (features + ONNX), the policy and MQTT publishing add.",
            f"Worker exit code on SIGTERM: {code}.",
            f"Throughput when not paced (`speed = 0`, one pass): **{speedup:.1f}x real time**.",
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, help="a 720p30 file (default: generate one)")
    parser.add_argument("--minutes", type=float, default=1.0, help="generated clip length")
    parser.add_argument("--seconds", type=float, default=40.0, help="sampling time")
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "worker.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp_s:
        tmp = Path(tmp_s)
        video = args.video or make_clip(CACHE / f"720p-{args.minutes:g}min", args.minutes)
        import cv2

        cap = cv2.VideoCapture(str(video))
        video_s = cap.get(cv2.CAP_PROP_FRAME_COUNT) / (cap.get(cv2.CAP_PROP_FPS) or 30.0)
        cap.release()
        with run_mosquitto() as broker:
            worker, code = run_worker(
                worker_config(tmp, video, broker.port, 1.0, True), args.seconds, args.warmup
            )
            refs = {
                "full": run_reference(video, args.seconds, args.warmup, 1),
                "sampled": run_reference(video, args.seconds, args.warmup, 6),
            }
            speedup = throughput(worker_config(tmp, video, broker.port, 0.0, False), video_s)
    text = report(video, worker, refs, speedup, code, args.seconds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
