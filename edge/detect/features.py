"""Per-sampled-frame features (pure numpy/OpenCV on a 320x180 frame) and windows.

``frame_stats`` is a pure function of the small frame and the previous one.
``FeatureExtractor`` keeps the short history needed for windowed features (cut
rate, means over a few seconds, audio level relative to the recent past) and the
logo tracker, and turns each sampled frame into one feature vector whose order
is ``FEATURE_NAMES`` (the model's input contract, stored in its metadata).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from edge.detect.decide import Sample
from edge.detect.events import AudioFeatures
from edge.detect.logo import LogoTracker

SMALL_W, SMALL_H = 320, 180
BLACK_LUMA = 20.0  # mean luma at or below this (and low spread) = black frame
UNIFORM_STD = 6.0
CUT_DISTANCE = 0.35  # Bhattacharyya histogram distance that counts as a cut
SILENCE_DBFS = -70.0
EDGE_LEVEL = 120  # |gx| + |gy| (Sobel 3x3) above this = an edge pixel

FEATURE_NAMES: tuple[str, ...] = (
    "black",
    "uniform",
    "luma_mean",
    "luma_std",
    "sat_mean",
    "sat_std",
    "edge_density",
    "motion",
    "hist_dist",
    "cut_rate_5s",
    "cut_rate_15s",
    "sat_mean_3s",
    "motion_mean_3s",
    "edge_mean_3s",
    "logo",
    "logo_mean_2s",
    "logo_mean_6s",
    "logo_ready",
    "has_audio",
    "audio_dbfs",
    "audio_rel_db",
    "silent",
)


@dataclass(frozen=True, slots=True)
class FrameStats:
    """Instantaneous statistics of one sampled frame (values scaled to ~[0, 1])."""

    black: bool
    uniform: bool
    luma_mean: float
    luma_std: float
    sat_mean: float
    sat_std: float
    edge_density: float
    motion: float
    hist_dist: float


def small_frame(frame_bgr: np.ndarray) -> np.ndarray:
    """Resize to 320x180 with INTER_LINEAR (~0.2 ms from 720p; INTER_AREA costs ~6x more)."""
    if frame_bgr.shape[0] == SMALL_H and frame_bgr.shape[1] == SMALL_W:
        return frame_bgr
    return cv2.resize(frame_bgr, (SMALL_W, SMALL_H), interpolation=cv2.INTER_LINEAR)


def colour_hist(hsv: np.ndarray) -> np.ndarray:
    hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    return cv2.normalize(hist, hist, 1.0, 0.0, cv2.NORM_L1)


def frame_stats(
    gray: np.ndarray,
    hsv: np.ndarray,
    hist: np.ndarray,
    prev_gray: np.ndarray | None,
    prev_hist: np.ndarray | None,
) -> FrameStats:
    """Pure statistics of a small frame given the previous sampled one."""
    l_mean, l_std = cv2.meanStdDev(gray)
    s_mean, s_std = cv2.meanStdDev(hsv[..., 1])
    lm, ls = float(l_mean[0, 0]), float(l_std[0, 0])
    gx = cv2.convertScaleAbs(cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3))
    gy = cv2.convertScaleAbs(cv2.Sobel(gray, cv2.CV_16S, 0, 1, ksize=3))
    edges = np.asarray(cv2.add(gx, gy)) > EDGE_LEVEL  # cheaper than Canny
    motion = 0.0 if prev_gray is None else float(cv2.absdiff(gray, prev_gray).mean()) / 255.0
    dist = 0.0
    if prev_hist is not None:
        dist = float(cv2.compareHist(hist, prev_hist, cv2.HISTCMP_BHATTACHARYYA))
    return FrameStats(
        black=lm <= BLACK_LUMA and ls < 10.0,
        uniform=ls < UNIFORM_STD,
        luma_mean=lm / 255.0,
        luma_std=ls / 128.0,
        sat_mean=float(s_mean[0, 0]) / 255.0,
        sat_std=float(s_std[0, 0]) / 128.0,
        edge_density=float(np.count_nonzero(edges)) / edges.size,
        motion=motion,
        hist_dist=dist,
    )


@dataclass(frozen=True, slots=True)
class Observation:
    """Everything the engine needs from one sampled frame."""

    t_s: float
    vector: np.ndarray  # float32, shape (1, len(FEATURE_NAMES))
    logo: float
    logo_ready: bool
    cut: bool
    black: bool
    silent: bool

    def to_sample(self, p_ad: float, warm: bool) -> Sample:
        return Sample(
            t_s=self.t_s,
            p_ad=p_ad if warm else 0.0,
            logo=self.logo,
            cut=self.cut,
            black=self.black,
            silent=self.silent,
            logo_ready=self.logo_ready and warm,
        )


class _Window:
    """Values of the last ``seconds`` of samples, with their mean."""

    def __init__(self, seconds: float, fps: float) -> None:
        self.seconds = seconds
        self.items: deque[float] = deque(maxlen=max(1, round(seconds * fps)))

    def resize(self, fps: float) -> None:
        self.items = deque(self.items, maxlen=max(1, round(self.seconds * fps)))

    def push(self, v: float) -> float:
        self.items.append(v)
        return sum(self.items) / len(self.items)


class FeatureExtractor:
    """Stateful: history windows + logo tracker; one ``observe`` per sampled frame."""

    def __init__(self, sample_fps: float) -> None:
        self._fps = sample_fps
        self.logo = LogoTracker(sample_fps)
        self._prev_gray: np.ndarray | None = None
        self._prev_hist: np.ndarray | None = None
        self._w = {
            name: _Window(sec, sample_fps)
            for name, sec in (
                ("cut5", 5.0),
                ("cut15", 15.0),
                ("sat", 3.0),
                ("motion", 3.0),
                ("edge", 3.0),
                ("logo2", 2.0),
                ("logo6", 6.0),
                ("audio", 2.0),
                ("level", 60.0),
            )
        }

    def set_sample_fps(self, fps: float) -> None:
        self._fps = fps
        self.logo.set_sample_fps(fps)
        for w in self._w.values():
            w.resize(fps)

    def observe(
        self, frame_bgr: np.ndarray, t_s: float, audio: AudioFeatures | None = None
    ) -> Observation:
        small = small_frame(frame_bgr)
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        hist = colour_hist(hsv)
        st = frame_stats(gray, hsv, hist, self._prev_gray, self._prev_hist)
        cut = st.hist_dist >= CUT_DISTANCE
        self._prev_gray, self._prev_hist = gray, hist
        logo = self.logo.update(gray)
        w = self._w
        a_db, a_rel, silent = 0.0, 0.0, False
        if audio is not None:
            a_db = max(-120.0, audio.rms_dbfs)
            silent = audio.silent or a_db <= SILENCE_DBFS
            mean_db = w["audio"].push(a_db)
            # level relative to the recent (non-silent) past: ads are louder
            base = (
                w["level"].push(a_db)
                if not silent
                else (sum(w["level"].items) / len(w["level"].items) if w["level"].items else a_db)
            )
            a_rel = mean_db - base
        vec = np.array(
            [
                [
                    st.black,
                    st.uniform,
                    st.luma_mean,
                    st.luma_std,
                    st.sat_mean,
                    st.sat_std,
                    st.edge_density,
                    st.motion,
                    st.hist_dist,
                    w["cut5"].push(float(cut)),
                    w["cut15"].push(float(cut)),
                    w["sat"].push(st.sat_mean),
                    w["motion"].push(st.motion),
                    w["edge"].push(st.edge_density),
                    logo,
                    w["logo2"].push(logo),
                    w["logo6"].push(logo),
                    float(self.logo.ready),
                    float(audio is not None),
                    (a_db + 120.0) / 120.0,
                    a_rel / 20.0,
                    float(silent),
                ]
            ],
            dtype=np.float32,
        )
        return Observation(
            t_s=t_s,
            vector=vec,
            logo=logo,
            logo_ready=self.logo.ready,
            cut=cut or st.black,
            black=st.black,
            silent=silent,
        )
