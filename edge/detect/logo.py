"""Channel logo (DOG) presence from a mask learned at run time, the Comskip way.

No logo is known in advance and no corner is fixed: in each screen corner the
tracker keeps, per pixel and per gradient direction (x+, x-, y+, y-), an
exponential average of "there is an edge here". Edges that stay put for tens of
seconds while the picture under them moves are overlay graphics: those pixels
form the mask. Presence = the share of mask edges present in the current frame.

Once a mask exists, the average is updated quickly only while the logo is seen
(so a 6-minute ad break does not erase it, and a 60-second advertiser logo never
becomes part of it) and very slowly otherwise (so a channel change re-learns).
The tracker is pure computation on numpy arrays; it holds only its own state.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class LogoConfig:
    corner_w_frac: float = 0.3  # corner region width, share of frame width
    corner_h_frac: float = 0.3
    grad_threshold: float = 24.0  # Sobel 3x3 units (~6 grey levels step)
    learn_tau_s: float = 15.0  # time constant while learning / while the logo is seen
    slow_tau_s: float = 600.0  # time constant while the logo is not seen
    on_level: float = 0.7  # a pixel joins the mask above this stability
    off_level: float = 0.4  # and leaves it below this one
    min_pixels: int = 12  # fewer mask pixels = no logo known
    seen_level: float = 0.5  # presence above which the logo counts as seen
    swap_after_s: float = 75.0  # a candidate seen this long (> any ad) replaces the mask


def corner_slices(h: int, w: int, cfg: LogoConfig) -> list[tuple[slice, slice]]:
    ch, cw = max(4, int(h * cfg.corner_h_frac)), max(4, int(w * cfg.corner_w_frac))
    return [
        (slice(0, ch), slice(0, cw)),
        (slice(0, ch), slice(w - cw, w)),
        (slice(h - ch, h), slice(0, cw)),
        (slice(h - ch, h), slice(w - cw, w)),
    ]


def corner_edges(gray: np.ndarray, cfg: LogoConfig) -> np.ndarray:
    """Directional edge maps of the four corners: bool array (4 corners, 4 dirs, ch, cw)."""
    out = []
    for ys, xs in corner_slices(gray.shape[0], gray.shape[1], cfg):
        crop = gray[ys, xs]
        gx = cv2.Sobel(crop, cv2.CV_16S, 1, 0, ksize=3)
        gy = cv2.Sobel(crop, cv2.CV_16S, 0, 1, ksize=3)
        t = cfg.grad_threshold
        out.append(np.stack([gx > t, gx < -t, gy > t, gy < -t]))
    return np.stack(out)


def mask_presence(mask: np.ndarray, edges: np.ndarray, min_pixels: int) -> float:
    """Share of ``mask`` edges present in ``edges``, in the best corner (0.0 if no corner
    has ``min_pixels``). Corners are scored separately so a lower third or scoreboard
    that comes and goes in another corner cannot hide the logo."""
    per_corner = mask.sum(axis=(1, 2, 3))
    valid = per_corner >= min_pixels
    if not valid.any():
        return 0.0
    hits = (edges & mask).sum(axis=(1, 2, 3))
    return float((hits[valid] / per_corner[valid]).max())


def _hysteresis(stability: np.ndarray, mask: np.ndarray, cfg: LogoConfig) -> np.ndarray:
    return (stability > cfg.on_level) | (mask & (stability > cfg.off_level))


class LogoTracker:
    """Learns the logo mask and scores presence per sampled frame.

    Besides the gated mask, an ungated fast accumulator learns a *candidate* mask.
    When the candidate is seen and the current mask is not, continuously for
    ``cfg.swap_after_s`` (longer than any single ad, so an advertiser logo never
    qualifies), the candidate replaces the mask: this recovers a source that
    started mid-break (mask learned from an ad) or a channel that changed logo.
    """

    def __init__(self, sample_fps: float, cfg: LogoConfig | None = None) -> None:
        self.cfg = cfg or LogoConfig()
        self._fps = sample_fps
        self._stability: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._fast: np.ndarray | None = None
        self._candidate: np.ndarray | None = None
        self._candidate_run = 0
        self.samples = 0
        self.swaps = 0

    def set_sample_fps(self, fps: float) -> None:
        self._fps = fps

    @property
    def mask_pixels(self) -> int:
        return 0 if self._mask is None else int(self._mask.sum())

    @property
    def ready(self) -> bool:
        if self._mask is None:
            return False
        return bool((self._mask.sum(axis=(1, 2, 3)) >= self.cfg.min_pixels).any())

    def mask(self) -> np.ndarray | None:
        """The current mask (corners x directions x h x w), or None before learning."""
        return None if self._mask is None else self._mask.copy()

    def presence(self, edges: np.ndarray) -> float:
        """Presence of the current mask in ``edges``; 0.0 without a mask."""
        if self._mask is None:
            return 0.0
        return mask_presence(self._mask, edges, self.cfg.min_pixels)

    def update(self, gray_small: np.ndarray) -> float:
        """Score presence in this frame, then learn from it. Returns the presence."""
        cfg = self.cfg
        edges = corner_edges(gray_small, cfg)
        score = self.presence(edges)
        if self._stability is None or self._stability.shape != edges.shape:
            self._stability = np.zeros(edges.shape, np.float32)
            self._fast = np.zeros(edges.shape, np.float32)
            self._mask = np.zeros(edges.shape, bool)
            self._candidate = np.zeros(edges.shape, bool)
        assert self._mask is not None and self._fast is not None and self._candidate is not None
        seen = not self.ready or score >= cfg.seen_level
        tau = cfg.learn_tau_s if seen else cfg.slow_tau_s
        alpha = min(1.0, 1.0 / (tau * self._fps))
        e = edges.astype(np.float32)
        self._stability += alpha * (e - self._stability)
        self._mask = _hysteresis(self._stability, self._mask, cfg)
        self._fast += min(1.0, 1.0 / (cfg.learn_tau_s * self._fps)) * (e - self._fast)
        self._candidate = _hysteresis(self._fast, self._candidate, cfg)
        self._maybe_swap(edges, score)
        self.samples += 1
        return score

    def _maybe_swap(self, edges: np.ndarray, score: float) -> None:
        assert self._mask is not None and self._candidate is not None and self._fast is not None
        cand = self._candidate
        # the candidate is seen and explains the corners clearly better than the mask
        cand_score = mask_presence(cand, edges, self.cfg.min_pixels)
        if cand_score >= self.cfg.seen_level and cand_score > score + 0.2:
            self._candidate_run += 1
        else:
            self._candidate_run = 0
        if self._candidate_run >= self.cfg.swap_after_s * self._fps:
            self._stability = self._fast.copy()
            self._mask = cand.copy()
            self._candidate_run = 0
            self.swaps += 1
