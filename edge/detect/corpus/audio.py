"""Synthetic soundtrack: programme speech-like noise, louder ads, digital silence at black."""

from __future__ import annotations

import numpy as np

from edge.detect.corpus.plan import Timeline

SAMPLE_RATE = 16000


def _db(level_dbfs: float) -> float:
    return float(10 ** (level_dbfs / 20.0))


def _speechlike(rng: np.random.Generator, n: int) -> np.ndarray:
    noise = rng.standard_normal(n).astype(np.float32)
    kernel = np.ones(8, np.float32) / 8  # crude low-pass
    smooth = np.convolve(noise, kernel, mode="same")
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * rng.uniform(3, 5) * t) ** 2
    sig = smooth * envelope
    return np.asarray(sig / (np.sqrt(np.mean(sig**2)) + 1e-9), np.float32)


def _music(rng: np.random.Generator, n: int) -> np.ndarray:
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    root = rng.uniform(110, 330)
    sig = sum(np.sin(2 * np.pi * root * r * t) for r in (1.0, 1.25, 1.5))
    beat = 0.6 + 0.4 * (np.sin(2 * np.pi * 2.0 * t) > 0)
    sig = sig * beat + 0.3 * rng.standard_normal(n).astype(np.float32)
    return np.asarray(sig / (np.sqrt(np.mean(sig**2)) + 1e-9), np.float32)


def soundtrack(tl: Timeline) -> np.ndarray:
    """Mono float32 samples in [-1, 1] for the whole timeline."""
    rng = np.random.default_rng([tl.seed, 104729])
    total = tl.n_frames * SAMPLE_RATE // tl.fps
    out = np.zeros(total, np.float32)
    for seg in tl.segments:
        a = seg.start_f * SAMPLE_RATE // tl.fps
        b = seg.end_f * SAMPLE_RATE // tl.fps
        n = b - a
        if seg.kind == "black" or n <= 0:
            continue  # digital silence
        if seg.kind == "ad":
            out[a:b] = _music(rng, n) * _db(rng.uniform(-16, -12))
        else:
            out[a:b] = _speechlike(rng, n) * _db(rng.uniform(-30, -24))
    np.clip(out, -1.0, 1.0, out=out)
    return out
