"""Settings from TOML + environment; validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.detect.audio import audio_features
from edge.detect.config import load_settings
from edge.detect.engine import DetectSettings
from edge.detect.errors import DetectError


def test_file_then_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "edge.toml"
    cfg.write_text("[detect]\nthreshold = 0.6\nmin_break_s = 30\n")
    s = load_settings(cfg, {"ADWATCH_DETECT_MIN_BREAK_S": "25", "OTHER": "x"})
    assert s.threshold == 0.6 and s.min_break_s == 25.0


def test_unknown_key_and_bad_values_are_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "edge.toml"
    cfg.write_text("[detect]\nthreshhold = 0.6\n")
    with pytest.raises(DetectError, match="threshhold"):
        load_settings(cfg, {})
    with pytest.raises(DetectError):
        load_settings(None, {"ADWATCH_DETECT_THRESHOLD": "1.5"})
    with pytest.raises(DetectError):
        DetectSettings().with_changes(min_break_s=600.0)


def test_audio_features_level_and_silence() -> None:
    import numpy as np

    silent = audio_features(np.zeros(1600, np.float32))
    assert silent.silent and silent.rms_dbfs == -120.0
    tone = audio_features(0.1 * np.sin(np.linspace(0, 200, 1600)).astype(np.float32))
    assert not tone.silent and -25 < tone.rms_dbfs < -19
