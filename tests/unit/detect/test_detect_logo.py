"""Logo mask learning from the temporal stability of corner edges."""

from __future__ import annotations

import cv2
import numpy as np

from edge.detect.logo import LogoConfig, LogoTracker, corner_slices

FPS = 5.0


def background(rng: np.random.Generator) -> np.ndarray:
    """A moving textured picture: fresh smooth noise every sample."""
    small = rng.integers(0, 256, (18, 32), dtype=np.uint8)
    return cv2.resize(small, (320, 180), interpolation=cv2.INTER_CUBIC)


def with_logo(gray: np.ndarray, x: int, y: int) -> np.ndarray:
    out = gray.copy()
    cv2.rectangle(out, (x, y), (x + 30, y + 14), 255, 2)
    cv2.putText(out, "TV", (x + 6, y + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, 255, 1)
    return out


def test_mask_is_learned_where_the_logo_is_and_scores_presence() -> None:
    rng = np.random.default_rng(1)
    tracker = LogoTracker(FPS)
    for _ in range(int(40 * FPS)):
        tracker.update(with_logo(background(rng), 270, 12))  # top-right
    assert tracker.ready
    mask = tracker.mask()
    assert mask is not None
    per_corner = mask.sum(axis=(1, 2, 3))
    assert per_corner.argmax() == 1  # (tl, tr, bl, br): top-right
    present = [tracker.update(with_logo(background(rng), 270, 12)) for _ in range(20)]
    absent = [tracker.update(background(rng)) for _ in range(20)]
    assert min(present) > 0.8
    assert max(absent) < 0.5


def test_nothing_is_learned_from_a_moving_picture_alone() -> None:
    rng = np.random.default_rng(2)
    tracker = LogoTracker(FPS)
    scores = [tracker.update(background(rng)) for _ in range(int(40 * FPS))]
    assert not tracker.ready
    assert max(scores) == 0.0


def test_a_short_lived_corner_logo_does_not_replace_the_channel_logo() -> None:
    rng = np.random.default_rng(3)
    tracker = LogoTracker(FPS)
    for _ in range(int(40 * FPS)):
        tracker.update(with_logo(background(rng), 10, 10))  # channel logo top-left
    for _ in range(int(30 * FPS)):  # a 30 s ad with its own logo bottom-right
        tracker.update(with_logo(background(rng), 270, 150))
    assert tracker.update(with_logo(background(rng), 270, 150)) < 0.5
    assert tracker.update(with_logo(background(rng), 10, 10)) > 0.8


def test_corner_slices_cover_the_four_corners() -> None:
    sl = corner_slices(180, 320, LogoConfig())
    assert len(sl) == 4
    assert sl[0][0].start == 0 and sl[3][1].stop == 320 and sl[3][0].stop == 180


def test_a_mask_learned_from_an_ad_is_replaced_by_the_channel_logo() -> None:
    """A source that starts mid-break: the first stable corner edges are an ad's logo."""
    rng = np.random.default_rng(4)
    tracker = LogoTracker(FPS)
    for _ in range(int(40 * FPS)):  # 40 s ad with its own logo bottom-left
        tracker.update(with_logo(background(rng), 10, 150))
    assert tracker.ready
    scores = [tracker.update(with_logo(background(rng), 270, 12)) for _ in range(int(120 * FPS))]
    assert tracker.swaps == 1
    assert min(scores[-int(10 * FPS) :]) > 0.8  # the channel logo (top-right) is now the mask
    assert tracker.update(with_logo(background(rng), 10, 150)) < 0.5
