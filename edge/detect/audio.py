"""Audio level and digital silence from PCM samples (pure), and decoding via PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.detect.errors import SourceError
from edge.detect.events import AudioFeatures

AUDIO_RATE = 16000
SILENT_PEAK = 2.0 / 32768  # digital silence: every sample within 2 LSB of zero


def audio_features(pcm: np.ndarray) -> AudioFeatures:
    """Level of a block of float samples in [-1, 1]."""
    if pcm.size == 0:
        return AudioFeatures(rms_dbfs=-120.0, silent=True)
    rms = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))
    db = 20.0 * np.log10(rms) if rms > 1e-6 else -120.0
    return AudioFeatures(rms_dbfs=max(-120.0, db), silent=float(np.abs(pcm).max()) <= SILENT_PEAK)


class AudioTrack:
    """Decoded mono PCM of a whole source; ``at(t, span)`` gives the features before ``t``."""

    def __init__(self, pcm: np.ndarray, rate: int = AUDIO_RATE) -> None:
        self.pcm, self.rate = pcm, rate

    def at(self, t_s: float, span_s: float) -> AudioFeatures:
        b = int(t_s * self.rate)
        a = max(0, b - int(span_s * self.rate))
        return audio_features(self.pcm[a:b] if b > a else self.pcm[b : b + 1])


def decode_audio(path: Path, max_seconds: float | None = None) -> AudioTrack | None:
    """Decode the first audio stream to mono 16 kHz float, or None if there is none."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise SourceError(f"cannot open {path}: {exc}") from exc
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                if max_seconds is not None and frame.time is not None and frame.time > max_seconds:
                    break
        except av.error.FFmpegError as exc:
            raise SourceError(f"audio of {path} cannot be decoded: {exc}") from exc
    if not chunks:
        return None
    pcm = np.concatenate(chunks).astype(np.float32) / 32768.0
    return AudioTrack(pcm)
