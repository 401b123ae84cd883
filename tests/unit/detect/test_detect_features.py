"""Per-frame features on synthetic frames."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.detect.events import AudioFeatures
from edge.detect.features import (
    FEATURE_NAMES,
    FeatureExtractor,
    colour_hist,
    frame_stats,
    small_frame,
)


def _prep(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import cv2

    small = small_frame(frame)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), hsv, colour_hist(hsv)


def noise(seed: int, h: int = 720, w: int = 1280) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_small_frame_is_320x180() -> None:
    assert small_frame(noise(1)).shape == (180, 320, 3)
    already = noise(2, 180, 320)
    assert small_frame(already) is already


def test_black_frame_is_black_and_uniform() -> None:
    st_ = frame_stats(*_prep(np.zeros((720, 1280, 3), np.uint8)), None, None)
    assert st_.black and st_.uniform
    assert st_.edge_density == 0.0 and st_.luma_mean == 0.0


def test_bright_flat_frame_is_uniform_but_not_black() -> None:
    st_ = frame_stats(*_prep(np.full((720, 1280, 3), 200, np.uint8)), None, None)
    assert st_.uniform and not st_.black


def test_saturation_separates_grey_from_vivid() -> None:
    grey = frame_stats(*_prep(np.full((720, 1280, 3), 128, np.uint8)), None, None)
    vivid_img = np.zeros((720, 1280, 3), np.uint8)
    vivid_img[..., 2] = 255
    vivid = frame_stats(*_prep(vivid_img), None, None)
    assert grey.sat_mean < 0.05 < 0.9 < vivid.sat_mean


def test_motion_and_cut_distance() -> None:
    g1, h1, hist1 = _prep(noise(3))
    same = frame_stats(g1, h1, hist1, g1, hist1)
    assert same.motion == 0.0 and same.hist_dist < 1e-6
    red = np.zeros((720, 1280, 3), np.uint8)
    red[..., 2] = 255
    g2, h2, hist2 = _prep(red)
    cut = frame_stats(g2, h2, hist2, g1, hist1)
    assert cut.hist_dist > 0.5 and cut.motion > 0.1


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31), st.floats(-120, 0))
def test_feature_vector_shape_and_range(seed: int, level: float) -> None:
    ex = FeatureExtractor(5.0)
    audio = AudioFeatures(rms_dbfs=level, silent=level < -100)
    obs = ex.observe(noise(seed, 180, 320), 0.0, audio)
    obs = ex.observe(noise(seed + 1, 180, 320), 0.2, audio)
    assert obs.vector.shape == (1, len(FEATURE_NAMES))
    assert obs.vector.dtype == np.float32
    assert np.isfinite(obs.vector).all()


def test_cut_rate_window_counts_cuts() -> None:
    ex = FeatureExtractor(5.0)
    idx = FEATURE_NAMES.index("cut_rate_5s")
    vals = []
    for i in range(50):  # alternate two very different frames: a cut every sample
        frame = np.zeros((180, 320, 3), np.uint8)
        frame[..., i % 3] = 255
        vals.append(float(ex.observe(frame, i / 5, None).vector[0, idx]))
    assert vals[-1] > 0.9
    ex2 = FeatureExtractor(5.0)
    still = noise(9, 180, 320)
    for i in range(50):
        last = ex2.observe(still, i / 5, None).vector[0, idx]
    assert last == 0.0
