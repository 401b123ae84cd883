"""Pure timeline planning for one corpus file: programme, ad breaks, black frames.

Everything is drawn from one ``numpy.random.Generator`` so a (seed, profile,
file index) triple always gives the same file. Frame indices are at ``fps``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Profile = Literal["sports", "news"]
PROFILES: tuple[Profile, ...] = ("sports", "news")
AD_LENGTHS_S = (10, 15, 20, 30, 45, 60)
AD_LENGTH_WEIGHTS = (0.12, 0.25, 0.15, 0.3, 0.1, 0.08)
Corner = Literal["tl", "tr", "bl", "br"]
CORNERS: tuple[Corner, ...] = ("tl", "tr", "bl", "br")
SegmentKind = Literal["programme", "replay", "graphics", "ad", "black"]


@dataclass(frozen=True, slots=True)
class ChannelStyle:
    """The channel's on-screen logo (DOG) and overlays; varies by channel (seed)."""

    logo_corner: Corner
    logo_w: int  # on a 1280-wide frame
    logo_h: int
    logo_opacity: float
    logo_style: Literal["box", "text", "emblem"]
    logo_rgb: tuple[int, int, int]
    logo_text: str
    has_audio: bool


@dataclass(frozen=True, slots=True)
class Shot:
    start_f: int
    end_f: int
    texture: int  # index into the segment kind's texture bank
    pan: tuple[float, float]  # pixels per frame
    tint: tuple[float, float, float]
    text: str | None = None
    origin: tuple[float, float] = (0.5, 0.5)  # where in the texture the crop starts (0..1)


@dataclass(frozen=True, slots=True)
class Segment:
    kind: SegmentKind
    start_f: int
    end_f: int
    shots: tuple[Shot, ...] = ()
    corner_logo: Corner | None = None  # advertiser logo for the whole ad
    hue: int = 0  # ad colour theme (OpenCV hue 0..179)
    overlays: bool = True  # channel logo + scoreboard / lower third shown


@dataclass(slots=True)
class Timeline:
    profile: Profile
    seed: int
    fps: int
    style: ChannelStyle
    segments: list[Segment] = field(default_factory=list)
    breaks: list[tuple[int, int]] = field(default_factory=list)  # [start_f, end_f)

    @property
    def n_frames(self) -> int:
        return self.segments[-1].end_f if self.segments else 0


def channel_style(rng: np.random.Generator, profile: Profile) -> ChannelStyle:
    corner: Corner = str(rng.choice(["tr", "tl", "tr", "tl", "br", "bl"]))  # type: ignore[assignment]
    w = int(rng.integers(60, 150))
    return ChannelStyle(
        logo_corner=corner,
        logo_w=w,
        logo_h=int(w * rng.uniform(0.35, 0.8)),
        logo_opacity=float(rng.uniform(0.45, 1.0)),
        logo_style=str(rng.choice(["box", "text", "emblem"])),  # type: ignore[arg-type]
        logo_rgb=tuple(int(v) for v in rng.integers(150, 256, 3)),  # type: ignore[arg-type]
        logo_text="".join(rng.choice(list("ABCDEFGHKMNPRSTVXZ"), int(rng.integers(2, 5)))),
        has_audio=profile == "news",
    )


def _shots(
    rng: np.random.Generator,
    start: int,
    end: int,
    fps: int,
    length_s: tuple[float, float],
    n_textures: int,
    pan_max: float,
    words: tuple[str, ...] = (),
) -> tuple[Shot, ...]:
    shots: list[Shot] = []
    f = start
    while f < end:
        n = max(3, int(rng.uniform(*length_s) * fps))
        g = min(end, f + n)
        if end - g < fps // 2:  # never leave a sliver shot at the end
            g = end
        text = str(rng.choice(words)) if words and rng.random() < 0.7 else None
        shots.append(
            Shot(
                start_f=f,
                end_f=g,
                texture=int(rng.integers(n_textures)),
                pan=(
                    float(rng.uniform(-pan_max, pan_max)),
                    float(rng.uniform(-pan_max, pan_max) / 2),
                ),
                tint=tuple(float(v) for v in rng.uniform(0.8, 1.2, 3)),  # type: ignore[arg-type]
                text=text,
                origin=(float(rng.random()), float(rng.random())),
            )
        )
        f = g
    return tuple(shots)


AD_WORDS = ("SALE!", "NEW", "BUY NOW", "-50%", "FRESH", "ONLY 9.99", "CALL NOW", "WIN!", "TRY IT")


def _programme(rng: np.random.Generator, tl: Timeline, start: int, n: int) -> list[Segment]:
    """A programme segment with occasional logo-less stretches (replays, graphics)."""
    fps, out, f, end = tl.fps, [], start, start + n
    shot_len = (3.0, 14.0) if tl.profile == "sports" else (3.0, 12.0)
    pan = 6.0 if tl.profile == "sports" else 1.5
    while f < end:
        run = min(end - f, int(rng.uniform(25, 110) * fps))
        if end - f - run < 8 * fps:
            run = end - f
        out.append(Segment("programme", f, f + run, _shots(rng, f, f + run, fps, shot_len, 8, pan)))
        f += run
        if f >= end - 20 * fps:
            continue
        kinds = ("replay", "graphics") if tl.profile == "sports" else ("graphics",)
        kind: SegmentKind = str(rng.choice(kinds))  # type: ignore[assignment]
        dur = int(rng.uniform(6, 18 if kind == "replay" else 12) * fps)
        shots = _shots(rng, f, f + dur, fps, (4.0, 20.0), 8, pan * 0.4)
        out.append(Segment(kind, f, f + dur, shots, overlays=False))
        f += dur
    return out


def _ad_break(rng: np.random.Generator, tl: Timeline, start: int) -> list[Segment]:
    fps, out, f = tl.fps, [], start
    with_black = rng.random() < 0.85

    def black() -> int:
        return int(rng.integers(6, 16)) if with_black else 0

    for i in range(int(rng.integers(2, 7))):
        b = black()
        if b:
            out.append(Segment("black", f, f + b, overlays=False))
            f += b
        length = int(rng.choice(AD_LENGTHS_S, p=AD_LENGTH_WEIGHTS)) * fps - (b if i else 0)
        logo: Corner | None = None
        if rng.random() < 0.35:
            same = rng.random() < 0.5
            logo = tl.style.logo_corner if same else str(rng.choice(CORNERS))  # type: ignore[assignment]
        shots = _shots(rng, f, f + length, fps, (0.6, 3.0), 10, 12.0, AD_WORDS)
        out.append(
            Segment(
                "ad",
                f,
                f + length,
                shots,
                corner_logo=logo,
                hue=int(rng.integers(0, 180)),
                overlays=False,
            )
        )
        f += length
    b = black()
    if b:
        out.append(Segment("black", f, f + b, overlays=False))
    return out


def plan_file(profile: Profile, seed: int, index: int, seconds: float, fps: int = 30) -> Timeline:
    """Plan one file of about ``seconds``: programme first, then breaks between programme."""
    rng = np.random.default_rng([seed, index, PROFILES.index(profile)])
    tl = Timeline(profile=profile, seed=seed, fps=fps, style=channel_style(rng, profile))
    total = int(seconds * fps)
    f = 0
    while f < total:
        long_seg = rng.random() < 0.1
        n = int(rng.uniform(60, 600 if long_seg else 200) * fps)
        n = min(n, max(total - f, 30 * fps))
        tl.segments.extend(_programme(rng, tl, f, n))
        f += n
        if f >= total - 30 * fps:
            break
        brk = _ad_break(rng, tl, f)
        tl.segments.extend(brk)
        tl.breaks.append((brk[0].start_f, brk[-1].end_f))
        f = brk[-1].end_f
    if tl.segments and tl.segments[-1].kind in ("ad", "black"):  # always end on programme
        tl.segments.extend(_programme(rng, tl, f, int(rng.uniform(30, 60) * fps)))
    return tl
