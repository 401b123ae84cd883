"""The committed model: verified against its metadata, loadable, sane outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge.detect.engine import DetectionEngine, DetectSettings
from edge.detect.errors import DetectError, ModelError
from edge.detect.features import FEATURE_NAMES
from edge.detect.model import DEFAULT_MODEL, load_model, metadata_path, sha256_of


def copy_model(tmp_path: Path) -> Path:
    model = tmp_path / DEFAULT_MODEL.name
    shutil.copy(DEFAULT_MODEL, model)
    shutil.copy(metadata_path(DEFAULT_MODEL), metadata_path(model))
    return model


def test_committed_model_matches_metadata_and_is_small() -> None:
    meta = json.loads(metadata_path(DEFAULT_MODEL).read_text())
    data = DEFAULT_MODEL.read_bytes()
    assert sha256_of(data) == meta["sha256"]
    assert len(data) < 1_000_000
    assert tuple(meta["feature_names"]) == FEATURE_NAMES
    assert meta["train_seeds"] and meta["metrics_per_sample"]["validation"]["f1"] > 0.8


def test_predict_is_a_probability() -> None:
    model = load_model()
    rng = np.random.default_rng(0)
    for _ in range(10):
        p = model.predict(rng.random((1, len(FEATURE_NAMES)), dtype=np.float32))
        assert 0.0 <= p <= 1.0
    assert model.version.startswith("rf-")


def test_corrupt_model_is_rejected(tmp_path: Path) -> None:
    model = copy_model(tmp_path)
    data = bytearray(model.read_bytes())
    data[100] ^= 0x01
    model.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="corrupt"):
        load_model(model)
    with pytest.raises(DetectError):
        DetectionEngine(DetectSettings(), model)


def test_missing_or_garbled_metadata_is_rejected(tmp_path: Path) -> None:
    model = copy_model(tmp_path)
    metadata_path(model).write_text("{not json")
    with pytest.raises(ModelError):
        load_model(model)
    metadata_path(model).unlink()
    with pytest.raises(ModelError):
        load_model(model)
    with pytest.raises(ModelError):
        load_model(tmp_path / "absent.onnx")


def test_bytes_that_match_metadata_but_are_not_onnx_are_rejected(tmp_path: Path) -> None:
    model = tmp_path / "junk.onnx"
    model.write_bytes(b"not an onnx graph")
    meta = json.loads(metadata_path(DEFAULT_MODEL).read_text())
    meta["sha256"] = sha256_of(model.read_bytes())
    metadata_path(model).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="onnxruntime"):
        load_model(model)


def test_engine_samples_by_time_and_updates_settings_live() -> None:
    engine = DetectionEngine(DetectSettings(sample_fps=5.0))
    frame = np.zeros((180, 320, 3), np.uint8)
    for i in range(300):  # 10 s at 30 fps
        t = i / 30
        engine.process(frame if engine.wants_frame(t) else None, t)
    assert engine.frames_seen == 300 and engine.samples_analysed == 50
    engine.update_settings(DetectSettings(sample_fps=2.0, threshold=0.7))
    for i in range(300, 600):
        t = i / 30
        engine.process(frame if engine.wants_frame(t) else None, t)
    assert engine.samples_analysed == 70
    assert engine.inference_stats().count == 70
    assert engine.flush(20.0) == []
