"""End to end: generate a short clip, run `adwatch-edge detect`/`eval` as subprocesses.

The clip is 640x360 to keep the test cheap (the detector resizes every source to
320x180 internally; the benchmark covers 720p). News profile: it has audio.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EDGE = [sys.executable, "-m", "edge.cli"]
TOLERANCE_S = 1.5


def edge(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EDGE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    res = edge(
        "corpus",
        "generate",
        "--out",
        str(out),
        "--minutes",
        "2",
        "--file-minutes",
        "2",
        "--seed",
        "26",
        "--profile",
        "news",
        "--width",
        "640",
        "--height",
        "360",
        "--preset",
        "ultrafast",
        "--quiet",
    )
    assert res.returncode == 0, res.stderr
    videos = sorted(out.glob("*.mp4"))
    assert len(videos) == 1
    return videos[0]


def test_truth_file_describes_the_clip(clip: Path) -> None:
    truth = json.loads(clip.with_suffix(".json").read_text())
    assert truth["profile"] == "news" and truth["has_audio"] and truth["fps"] == 30
    assert len(truth["breaks"]) == 1
    assert 2 <= len(truth["breaks"][0]["ads"]) <= 6


def test_detect_finds_the_break_and_prints_only_json(clip: Path) -> None:
    res = edge("detect", str(clip), "--json")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    found = [json.loads(line) for line in lines]
    assert all(set(b) == {"start_s", "end_s", "confidence"} for b in found)
    truth = json.loads(clip.with_suffix(".json").read_text())["breaks"]
    assert len(found) == len(truth) == 1, (found, truth)
    assert abs(found[0]["start_s"] - truth[0]["start_s"]) <= TOLERANCE_S
    assert abs(found[0]["end_s"] - truth[0]["end_s"]) <= TOLERANCE_S
    assert 0.0 <= found[0]["confidence"] <= 1.0


def test_eval_scores_the_folder(clip: Path) -> None:
    res = edge("eval", str(clip.parent))
    assert res.returncode == 0, res.stderr
    assert "| **all** |" in res.stdout
    f1 = float(res.stdout.split("| **all** |")[1].split("|")[3].strip().strip("*"))
    assert f1 >= 0.9


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    res = edge("detect", str(tmp_path / "nope.mp4"), "--json")
    assert res.returncode != 0 and res.stdout == ""
    assert "no such file" in res.stderr


def test_unreadable_codec_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    res = edge("detect", str(bogus), "--json")
    assert res.returncode != 0 and res.stdout == ""
    assert "error" in res.stderr and "bogus.mp4" in res.stderr


def test_source_that_stops_mid_stream_is_an_error(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(data[: len(data) // 3])
    res = edge("detect", str(cut), "--json")
    assert res.returncode != 0
    assert "mid-stream" in res.stderr or "cannot" in res.stderr


def test_corrupt_model_is_a_clear_error(clip: Path, tmp_path: Path) -> None:
    from edge.detect.model import DEFAULT_MODEL, metadata_path

    model = tmp_path / DEFAULT_MODEL.name
    shutil.copy(DEFAULT_MODEL, model)
    shutil.copy(metadata_path(DEFAULT_MODEL), metadata_path(model))
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    res = edge("detect", str(clip), "--json", "--model", str(model))
    assert res.returncode != 0 and res.stdout == ""
    assert "corrupt" in res.stderr
