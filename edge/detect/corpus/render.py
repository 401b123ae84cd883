"""Cheap frame rendering for the corpus: precomputed textures, shifted crops, overlays.

Every frame is a crop of a precomputed texture (motion = the crop moving), plus
a few OpenCV primitives; nothing per-pixel is computed per frame except small
alpha blends, so generation runs far faster than real time.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.detect.corpus.plan import ChannelStyle, Corner, Segment, Shot, Timeline

FONT = cv2.FONT_HERSHEY_DUPLEX


def _blobs(rng: np.random.Generator, h: int, w: int, grid: tuple[int, int]) -> np.ndarray:
    small = rng.random((grid[0], grid[1], 3), dtype=np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _texture(rng: np.random.Generator, h: int, w: int, kind: str) -> np.ndarray:
    """One large texture (float blobs + fine detail) coloured for its kind."""
    base = _blobs(rng, h, w, (6, 10)) * 0.6 + _blobs(rng, h, w, (45, 80)) * 0.4
    detail = _blobs(rng, h, w, (h // 6, w // 6))[..., 0]
    hsv = np.empty((h, w, 3), np.float32)
    if kind == "sports":
        hsv[..., 0] = 50 + 20 * base[..., 0]  # grass greens
        hsv[..., 1] = 0.35 + 0.3 * base[..., 1]
        hsv[..., 2] = 0.35 + 0.35 * base[..., 2] + 0.15 * detail
        stripes = ((np.arange(w) // max(8, w // 12)) % 2).astype(np.float32) * 0.08
        hsv[..., 2] += stripes[None, :]
    elif kind == "news":
        hsv[..., 0] = float(rng.uniform(180, 260)) + 40 * base[..., 0]
        hsv[..., 1] = 0.1 + 0.3 * base[..., 1]
        hsv[..., 2] = 0.25 + 0.5 * base[..., 2] + 0.15 * detail
    else:  # ads: saturated, any hue
        hsv[..., 0] = float(rng.uniform(0, 360)) + 120 * base[..., 0]
        hsv[..., 1] = 0.7 + 0.3 * base[..., 1]
        hsv[..., 2] = 0.55 + 0.45 * base[..., 2] + 0.2 * detail
    hsv[..., 0] %= 360
    np.clip(hsv[..., 1:], 0, 1, out=hsv[..., 1:])
    bgr = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    if kind in ("sports", "news"):  # structure: lines / studio panels
        for _ in range(int(rng.integers(4, 9))):
            p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            col = (0.9, 0.9, 0.9) if kind == "sports" else tuple(float(v) for v in rng.random(3))
            if kind == "sports":
                cv2.line(bgr, p1, p2, col, max(2, h // 200))
            else:
                cv2.rectangle(bgr, p1, p2, col, -1 if rng.random() < 0.3 else max(2, h // 150))
    return np.clip(bgr * 255, 0, 255).astype(np.uint8)


def _corner_xy(corner: Corner, w: int, h: int, fw: int, fh: int, margin: int) -> tuple[int, int]:
    x = margin if corner[1] == "l" else fw - w - margin
    y = margin if corner[0] == "t" else fh - h - margin
    return x, y


class Overlay:
    """A small image alpha-blended at a fixed place."""

    def __init__(self, img: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
        self.img = img.astype(np.float32)
        self.alpha = alpha.astype(np.float32)[..., None]
        self.x, self.y = x, y

    def draw(self, frame: np.ndarray) -> None:
        h, w = self.alpha.shape[:2]
        roi = frame[self.y : self.y + h, self.x : self.x + w]
        roi[:] = (roi * (1.0 - self.alpha) + self.img * self.alpha).astype(np.uint8)


def channel_logo(style: ChannelStyle, fw: int, fh: int, scale: float) -> Overlay:
    w, h = max(12, int(style.logo_w * scale)), max(8, int(style.logo_h * scale))
    img = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    col = style.logo_rgb
    th = max(1, int(3 * scale))
    if style.logo_style == "box":
        cv2.rectangle(mask, (0, 0), (w - 1, h - 1), 255, -1)
        cv2.rectangle(img, (0, 0), (w - 1, h - 1), (40, 40, 40), -1)
        cv2.rectangle(img, (th, th), (w - th - 1, h - th - 1), col, th)
    elif style.logo_style == "emblem":
        cv2.ellipse(mask, (w // 2, h // 2), (w // 2 - 1, h // 2 - 1), 0, 0, 360, 255, -1)
        cv2.ellipse(img, (w // 2, h // 2), (w // 2 - 1, h // 2 - 1), 0, 0, 360, col, -1)
    fs = 0.9 * h / 30 / max(1, len(style.logo_text)) * 2.2
    size, _ = cv2.getTextSize(style.logo_text, FONT, fs, th)
    org = ((w - size[0]) // 2, (h + size[1]) // 2)
    text_col = (30, 30, 30) if style.logo_style == "emblem" else col
    cv2.putText(img, style.logo_text, org, FONT, fs, text_col, th, cv2.LINE_AA)
    cv2.putText(mask, style.logo_text, org, FONT, fs, 255, th + 2, cv2.LINE_AA)
    x, y = _corner_xy(style.logo_corner, w, h, fw, fh, int(36 * scale))
    return Overlay(img, mask / 255.0 * style.logo_opacity, x, y)


def advertiser_logo(
    rng: np.random.Generator, corner: Corner, fw: int, fh: int, scale: float
) -> Overlay:
    w, h = int(rng.uniform(70, 160) * scale), int(rng.uniform(40, 90) * scale)
    img = np.full((h, w, 3), rng.integers(0, 256, 3), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    if rng.random() < 0.5:
        cv2.rectangle(mask, (0, 0), (w - 1, h - 1), 255, -1)
    else:
        cv2.ellipse(mask, (w // 2, h // 2), (w // 2 - 1, h // 2 - 1), 0, 0, 360, 255, -1)
    name = "".join(rng.choice(list("abcdefgxyz"), 4))
    cv2.putText(
        img,
        name,
        (int(6 * scale), h // 2 + int(8 * scale)),
        FONT,
        0.8 * scale,
        (255, 255, 255),
        max(1, int(2 * scale)),
        cv2.LINE_AA,
    )
    x, y = _corner_xy(corner, w, h, fw, fh, int(rng.uniform(20, 50) * scale))
    return Overlay(img, mask / 255.0 * float(rng.uniform(0.8, 1.0)), x, y)


def _text_panel(
    w: int, h: int, lines: list[str], bg: tuple[int, int, int], scale: float
) -> np.ndarray:
    img = np.full((h, w, 3), bg, np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(
            img,
            line,
            (int(12 * scale), int((30 + 34 * i) * scale)),
            FONT,
            0.8 * scale,
            (255, 255, 255),
            max(1, int(2 * scale)),
            cv2.LINE_AA,
        )
    return img


class Renderer:
    """Renders the frames of one Timeline in order."""

    def __init__(self, tl: Timeline, width: int, height: int) -> None:
        self.tl, self.w, self.h = tl, width, height
        self.scale = height / 720.0
        rng = np.random.default_rng([tl.seed, 7919, tl.n_frames])
        th, tw = int(height * 1.3), int(width * 1.3)
        self.prog = [_texture(rng, th, tw, tl.profile) for _ in range(8)]
        self.ads = [_texture(rng, th, tw, "ad") for _ in range(10)]
        self.logo = channel_logo(tl.style, width, height, self.scale)
        self.rng = rng
        self.frame = np.zeros((height, width, 3), np.uint8)
        self._seg_cache: dict[int, object] = {}
        self.side = self._board()

    def _board(self) -> Overlay:
        s = self.scale
        if self.tl.profile == "sports":
            img = _text_panel(int(260 * s), int(48 * s), ["HOM 0 - 0 AWY  12:04"], (30, 30, 90), s)
            corner: Corner = "tl" if self.tl.style.logo_corner[1] == "r" else "tr"
            x, y = _corner_xy(corner, img.shape[1], img.shape[0], self.w, self.h, int(40 * s))
        else:
            img = _text_panel(
                int(760 * s),
                int(80 * s),
                ["BREAKING: markets steady", "Live from the studio"],
                (120, 40, 20),
                s,
            )
            x, y = int(90 * s), self.h - img.shape[0] - int(70 * s)
        return Overlay(img, np.full(img.shape[:2], 0.92, np.float32), x, y)

    def _crop(self, bank: list[np.ndarray], shot: Shot, f: int) -> None:
        tex = bank[shot.texture % len(bank)]
        k = f - shot.start_f
        span_x, span_y = tex.shape[1] - self.w, tex.shape[0] - self.h
        x = int(span_x * shot.origin[0] + shot.pan[0] * k * self.scale) % (2 * span_x)
        y = int(span_y * shot.origin[1] + shot.pan[1] * k * self.scale) % (2 * span_y)
        x = x if x <= span_x else 2 * span_x - x
        y = y if y <= span_y else 2 * span_y - y
        np.copyto(self.frame, tex[y : y + self.h, x : x + self.w])

    def _moving_object(self, shot: Shot, f: int, colour: tuple[int, int, int]) -> None:
        k = f - shot.start_f
        cx = int(self.w * (0.5 + 0.3 * np.sin(k / 23.0 + shot.texture)))
        cy = int(self.h * (0.55 + 0.15 * np.cos(k / 31.0 + shot.texture)))
        cv2.circle(self.frame, (cx, cy), int(22 * self.scale), colour, -1)

    def render(self, seg: Segment, shot: Shot | None, f: int, seg_index: int) -> np.ndarray:
        fr = self.frame
        if seg.kind == "black":
            fr[:] = 0
            return fr
        assert shot is not None
        if seg.kind == "ad":
            self._ad(seg, shot, f, seg_index)
            return fr
        if seg.kind == "graphics":
            self._graphics(seg, f, seg_index)
            return fr
        self._crop(self.prog, shot, f)
        self._moving_object(
            shot, f, (235, 235, 235) if self.tl.profile == "sports" else (80, 120, 200)
        )
        if seg.kind == "replay":
            cv2.putText(
                fr,
                "REPLAY",
                (int(40 * self.scale), int(80 * self.scale)),
                FONT,
                1.2 * self.scale,
                (255, 255, 255),
                max(1, int(3 * self.scale)),
            )
        elif seg.overlays:
            self.logo.draw(fr)
            if self.tl.profile == "sports" or shot.texture % 3 == 0:
                self.side.draw(fr)
        return fr

    def _ad(self, seg: Segment, shot: Shot, f: int, seg_index: int) -> None:
        bank_index = (seg.hue // 18 + shot.texture) % len(self.ads)
        self._crop(
            self.ads,
            Shot(shot.start_f, shot.end_f, bank_index, shot.pan, shot.tint, origin=shot.origin),
            f,
        )
        hue_col = cv2.cvtColor(np.array([[[seg.hue, 255, 255]]], np.uint8), cv2.COLOR_HSV2BGR)[0, 0]
        s = self.scale
        k = f - shot.start_f
        x0 = int(self.w * 0.2 + (k * 3 * s) % (self.w * 0.3))
        cv2.rectangle(
            self.frame,
            (x0, int(self.h * 0.3)),
            (x0 + int(260 * s), int(self.h * 0.7)),
            tuple(int(v) for v in hue_col),
            -1,
        )
        if shot.text:
            cv2.putText(
                self.frame,
                shot.text,
                (int(self.w * 0.12), int(self.h * 0.85)),
                FONT,
                2.4 * s,
                (255, 255, 255),
                max(2, int(6 * s)),
                cv2.LINE_AA,
            )
        if seg.corner_logo is not None:
            ov = self._seg_cache.get(seg_index)
            if ov is None:
                ov = advertiser_logo(
                    np.random.default_rng([seg_index, seg.hue]), seg.corner_logo, self.w, self.h, s
                )
                self._seg_cache = {seg_index: ov}
            assert isinstance(ov, Overlay)
            ov.draw(self.frame)

    def _graphics(self, seg: Segment, f: int, seg_index: int) -> None:
        key = -seg_index - 1
        panel = self._seg_cache.get(key)
        if panel is None:
            rng = np.random.default_rng([seg_index, 17])
            lines = [
                f"{w:<10}{int(rng.integers(0, 99)):>4}"
                for w in ("SHOTS", "POSSESSION", "CORNERS", "FOULS", "PASSES", "TEMP", "RAIN")
            ]
            panel = _text_panel(self.w, self.h, lines, (90, 50, 20), self.scale * 1.6)
            self._seg_cache = {key: panel}
        assert isinstance(panel, np.ndarray)
        np.copyto(self.frame, panel)
        k = f - seg.start_f
        bar = int(min(self.w * 0.6, k * 4 * self.scale))
        cv2.rectangle(
            self.frame,
            (int(self.w * 0.2), int(self.h * 0.88)),
            (int(self.w * 0.2) + bar, int(self.h * 0.93)),
            (60, 200, 250),
            -1,
        )
