"""Load the committed ONNX classifier, verify it against its metadata, run it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.detect.errors import ModelError

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_MODEL = MODELS_DIR / "adbreak-rf.onnx"


def metadata_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Model:
    """An onnxruntime session on one thread; ``predict`` returns P(ad)."""

    session: Any
    input_name: str
    output_name: str
    version: str
    feature_names: tuple[str, ...]

    def predict(self, vector: np.ndarray) -> float:
        out = self.session.run([self.output_name], {self.input_name: vector})[0]
        return float(out[0, 1])


def _read_metadata(model_path: Path) -> dict[str, Any]:
    meta_path = metadata_path(model_path)
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read model metadata {meta_path}: {exc}") from exc
    if not isinstance(meta, dict) or "sha256" not in meta or "feature_names" not in meta:
        raise ModelError(f"model metadata {meta_path} lacks sha256/feature_names")
    return meta


def load_model(path: Path | None = None) -> Model:
    """Load and verify a model; any problem raises :class:`ModelError`."""
    from edge.detect.features import FEATURE_NAMES

    model_path = path or DEFAULT_MODEL
    try:
        data = model_path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model {model_path}: {exc}") from exc
    meta = _read_metadata(model_path)
    digest = sha256_of(data)
    if digest != meta["sha256"]:
        raise ModelError(
            f"model {model_path} is corrupt: sha256 {digest[:12]} != metadata {meta['sha256'][:12]}"
        )
    names = tuple(meta["feature_names"])
    if names != FEATURE_NAMES:
        raise ModelError(f"model {model_path} expects features {names}, engine has {FEATURE_NAMES}")
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    try:
        sess = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"onnxruntime cannot load {model_path}: {exc}") from exc
    outputs = [o.name for o in sess.get_outputs()]
    prob = "probabilities" if "probabilities" in outputs else outputs[-1]
    return Model(sess, sess.get_inputs()[0].name, prob, f"rf-{digest[:12]}", names)
