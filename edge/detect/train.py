"""Reproducible training of the ad/programme classifier (``python -m edge.detect.train``).

Training data is generated, not downloaded: timelines from fixed seeds are
rendered at the sampling rate (no encoding needed) and run through the same
``FeatureExtractor`` the engine uses. A random forest is fitted with a fixed
seed, exported with skl2onnx, and written with its metadata (seeds, feature
list, metrics, SHA-256) to ``edge/detect/models/``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.detect.corpus.plan import PROFILES, Profile, Segment, plan_file
from edge.detect.corpus.synth import sampled_frames
from edge.detect.features import FEATURE_NAMES, FeatureExtractor, small_frame
from edge.detect.model import DEFAULT_MODEL, metadata_path, sha256_of

TRAIN_SEEDS = tuple(range(1001, 1005))
VAL_SEEDS = (1101,)
FILE_SECONDS = 480.0
SAMPLE_FPS = 5.0
AUGMENT_SEED = 31337
AUGMENT_AD_DESAT = 0.3  # share of ads rendered desaturated
AUGMENT_PROG_SAT = 0.25  # share of programme segments rendered over-saturated
RF_PARAMS: dict[str, Any] = {
    "n_estimators": 24,
    "max_depth": 10,
    "min_samples_leaf": 8,
    "random_state": 20261129,
    "n_jobs": 1,
    "class_weight": "balanced",
}


def file_dataset(
    profile: Profile, seed: int, seconds: float = FILE_SECONDS, width: int = 1280, height: int = 720
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and 0/1 labels (inside a true break) for one generated file."""
    tl = plan_file(profile, seed, 0, seconds)
    extractor = FeatureExtractor(SAMPLE_FPS)
    rows, labels = [], []
    breaks = [(a / tl.fps, b / tl.fps) for a, b in tl.breaks]
    starts = [s.start_f for s in tl.segments]
    factors = segment_saturation(tl.segments, seed)
    for t, frame, audio in sampled_frames(tl, width, height, SAMPLE_FPS):
        seg = bisect.bisect_right(starts, round(t * tl.fps)) - 1
        small = small_frame(frame)
        if factors[seg] != 1.0:
            small = scale_saturation(small, factors[seg])
        rows.append(extractor.observe(small, t, audio).vector[0])
        labels.append(any(a <= t < b for a, b in breaks))
    return np.asarray(rows, np.float32), np.asarray(labels, np.int64)


def segment_saturation(segments: list[Segment], seed: int) -> list[float]:
    """Augmentation: some ads desaturated, some programme over-saturated, so the
    model cannot learn "colourful = ad" and has to use the logo, cuts and audio."""
    rng = np.random.default_rng([seed, AUGMENT_SEED])
    out = []
    for seg in segments:
        r = float(rng.random())
        if seg.kind == "ad" and r < AUGMENT_AD_DESAT:
            out.append(float(rng.uniform(0.0, 0.35)))
        elif seg.kind in ("programme", "replay", "graphics") and r < AUGMENT_PROG_SAT:
            out.append(float(rng.uniform(2.0, 3.5)))
        else:
            out.append(1.0)
    return out


def scale_saturation(bgr: np.ndarray, factor: float) -> np.ndarray:
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hsv[..., 1] = np.clip(hsv[..., 1].astype(np.float32) * factor, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR))


def dataset(seeds: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for seed in seeds:
        for profile in PROFILES:
            started = time.monotonic()
            x, y = file_dataset(profile, seed)
            print(
                f"  {profile} seed {seed}: {len(y)} samples, {y.mean():.1%} ad, "
                f"{time.monotonic() - started:.1f}s",
                file=sys.stderr,
            )
            xs.append(x)
            ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def export_onnx(clf: Any, out: Path) -> bytes:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    onx = to_onnx(
        clf,
        initial_types=[("features", FloatTensorType([None, len(FEATURE_NAMES)]))],
        options={id(clf): {"zipmap": False}},
        target_opset=15,
    )
    data: bytes = onx.SerializeToString()
    out.write_bytes(data)
    return data


def sample_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    pred = p >= 0.5
    tp = float(np.sum(pred & (y == 1)))
    prec = tp / max(1.0, float(pred.sum()))
    rec = tp / max(1.0, float((y == 1).sum()))
    return {
        "accuracy": float(np.mean(pred == (y == 1))),
        "precision": prec,
        "recall": rec,
        "f1": 2 * prec * rec / max(1e-9, prec + rec),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.detect.train", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL, help="model path (.onnx)")
    args = parser.parse_args(argv)
    from sklearn.ensemble import RandomForestClassifier

    print("training data:", file=sys.stderr)
    x, y = dataset(TRAIN_SEEDS)
    print("validation data:", file=sys.stderr)
    xv, yv = dataset(VAL_SEEDS)
    clf = RandomForestClassifier(**RF_PARAMS).fit(x, y)
    data = export_onnx(clf, args.out)
    metrics = {
        "train": sample_metrics(y, clf.predict_proba(x)[:, 1]),
        "validation": sample_metrics(yv, clf.predict_proba(xv)[:, 1]),
    }
    importances = dict(
        zip(FEATURE_NAMES, (round(float(v), 4) for v in clf.feature_importances_), strict=True)
    )
    meta = {
        "model": args.out.name,
        "sha256": sha256_of(data),
        "bytes": len(data),
        "kind": "sklearn RandomForestClassifier -> skl2onnx (zipmap off), output P(ad)=[:,1]",
        "feature_names": list(FEATURE_NAMES),
        "sample_fps": SAMPLE_FPS,
        "train_seeds": list(TRAIN_SEEDS),
        "validation_seeds": list(VAL_SEEDS),
        "profiles": list(PROFILES),
        "file_seconds": FILE_SECONDS,
        "params": RF_PARAMS,
        "augmentation": {
            "seed": AUGMENT_SEED,
            "ad_desaturated": AUGMENT_AD_DESAT,
            "programme_oversaturated": AUGMENT_PROG_SAT,
        },
        "samples": {"train": len(y), "validation": len(yv)},
        "metrics_per_sample": metrics,
        "feature_importances": importances,
    }
    metadata_path(args.out).write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps(metrics, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
