"""Render a planned Timeline to an H.264 file (plus AAC audio) and its truth JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np

from edge.detect.corpus.audio import SAMPLE_RATE, soundtrack
from edge.detect.corpus.plan import Profile, Timeline, plan_file
from edge.detect.corpus.render import Renderer
from edge.detect.errors import CorpusError


class TruthAd(msgspec.Struct, frozen=True):
    start_s: float
    end_s: float
    advertiser_logo: bool


class TruthBreak(msgspec.Struct, frozen=True):
    start_s: float
    end_s: float
    ads: list[TruthAd]


class Truth(msgspec.Struct, frozen=True):
    """Ground truth for one corpus file (``<video>.json`` next to the video)."""

    video: str
    profile: str
    seed: int
    index: int
    fps: int
    width: int
    height: int
    duration_s: float
    has_audio: bool
    breaks: list[TruthBreak]


@dataclass(frozen=True, slots=True)
class EncodeSettings:
    width: int = 1280
    height: int = 720
    fps: int = 30
    preset: str = "fast"
    crf: int = 23


def truth_of(tl: Timeline, video: str, index: int, enc: EncodeSettings) -> Truth:
    fps = tl.fps
    breaks = []
    for start_f, end_f in tl.breaks:
        ads = [
            TruthAd(s.start_f / fps, s.end_f / fps, s.corner_logo is not None)
            for s in tl.segments
            if s.kind == "ad" and start_f <= s.start_f < end_f
        ]
        breaks.append(TruthBreak(start_f / fps, end_f / fps, ads))
    return Truth(
        video=video,
        profile=tl.profile,
        seed=tl.seed,
        index=index,
        fps=fps,
        width=enc.width,
        height=enc.height,
        duration_s=tl.n_frames / fps,
        has_audio=tl.style.has_audio,
        breaks=breaks,
    )


def read_truth(path: Path) -> Truth:
    try:
        return msgspec.json.decode(path.read_bytes(), type=Truth)
    except (OSError, msgspec.DecodeError) as exc:
        raise CorpusError(f"cannot read truth file {path}: {exc}") from exc


def _write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((samples * 32767).astype("<i2").tobytes())


def _ffmpeg_cmd(out: Path, enc: EncodeSettings, wav: Path | None) -> list[str]:
    import imageio_ffmpeg

    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "bgr24",
        "-s",
        f"{enc.width}x{enc.height}",
        "-r",
        str(enc.fps),
        "-i",
        "-",
    ]
    if wav is not None:
        cmd += ["-i", str(wav)]
    cmd += [
        "-c:v",
        "libx264",
        "-preset",
        enc.preset,
        "-crf",
        str(enc.crf),
        "-pix_fmt",
        "yuv420p",
        "-g",
        str(enc.fps * 4),
    ]
    if wav is not None:
        cmd += ["-c:a", "aac", "-b:a", "64k", "-shortest"]
    return [*cmd, "-movflags", "+faststart", str(out)]


def render_file(tl: Timeline, out: Path, enc: EncodeSettings, progress: bool = True) -> None:
    """Render ``tl`` into ``out`` (mp4) by piping raw frames into ffmpeg."""
    renderer = Renderer(tl, enc.width, enc.height)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "audio.wav" if tl.style.has_audio else None
        if wav is not None:
            _write_wav(wav, soundtrack(tl))
        try:
            proc = subprocess.Popen(
                _ffmpeg_cmd(out, enc, wav), stdin=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise CorpusError(f"cannot start ffmpeg: {exc}") from exc
        assert proc.stdin is not None
        started, total = time.monotonic(), tl.n_frames
        try:
            for i, seg in enumerate(tl.segments):
                shots = seg.shots or (None,)
                for shot in shots:
                    a = shot.start_f if shot else seg.start_f
                    b = shot.end_f if shot else seg.end_f
                    for f in range(a, b):
                        proc.stdin.write(renderer.render(seg, shot, f, i).data)
                if progress:
                    done = seg.end_f / max(1, total)
                    rate = seg.end_f / max(1e-6, time.monotonic() - started)
                    print(f"\r{out.name}: {done:6.1%} ({rate:.0f} fps)", end="", file=sys.stderr)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise CorpusError(f"ffmpeg failed for {out}: {err.strip()}")
        if progress:
            print(file=sys.stderr)


def generate(
    out_dir: Path,
    minutes: float,
    seed: int,
    profiles: list[Profile],
    file_minutes: float,
    enc: EncodeSettings,
    progress: bool = True,
) -> list[Path]:
    """Generate files totalling about ``minutes``, alternating ``profiles``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n_files = max(1, round(minutes / file_minutes))
    seconds = minutes * 60.0 / n_files
    written = []
    for i in range(n_files):
        profile = profiles[i % len(profiles)]
        tl = plan_file(profile, seed, i, seconds, enc.fps)
        video = out_dir / f"{profile}-s{seed}-{i:02d}.mp4"
        render_file(tl, video, enc, progress)
        truth = truth_of(tl, video.name, i, enc)
        video.with_suffix(".json").write_text(
            json.dumps(msgspec.to_builtins(truth), indent=1) + "\n"
        )
        written.append(video)
    return written
