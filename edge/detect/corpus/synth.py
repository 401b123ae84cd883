"""Sampled frames and audio of a planned timeline without encoding (fast training data)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from edge.detect.audio import AUDIO_RATE, audio_features
from edge.detect.corpus.audio import SAMPLE_RATE, soundtrack
from edge.detect.corpus.plan import Timeline
from edge.detect.corpus.render import Renderer
from edge.detect.events import AudioFeatures

assert SAMPLE_RATE == AUDIO_RATE


def sampled_frames(
    tl: Timeline, width: int, height: int, sample_fps: float
) -> Iterator[tuple[float, np.ndarray, AudioFeatures | None]]:
    """Yield (t, frame, audio) for every ``fps / sample_fps``-th frame."""
    step = max(1, round(tl.fps / sample_fps))
    renderer = Renderer(tl, width, height)
    pcm = soundtrack(tl) if tl.style.has_audio else None
    span = int(AUDIO_RATE / sample_fps)
    for i, seg in enumerate(tl.segments):
        for shot in seg.shots or (None,):
            a = shot.start_f if shot else seg.start_f
            b = shot.end_f if shot else seg.end_f
            for f in range(a + (-a) % step, b, step):
                t = f / tl.fps
                audio = None
                if pcm is not None:
                    end = f * AUDIO_RATE // tl.fps
                    audio = audio_features(pcm[max(0, end - span) : end] if end else pcm[:1])
                yield t, renderer.render(seg, shot, f, i), audio
