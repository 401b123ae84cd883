"""Pure parts of the worker: config tree, backoff, downlink, reports, actor, labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.policy import PolicyConfig
from edge.tv.base import TvAction
from edge.tv.chain import ControllerChain
from edge.tv.errors import TvCommandError
from edge.worker.acting import BreakActor
from edge.worker.app import public_source
from edge.worker.capture import backoff_delay, classify
from edge.worker.config import apply_env, load_config, parse_config
from edge.worker.downlink import command_problem, merge_policy, parse_downlink
from edge.worker.errors import ConfigError
from edge.worker.reports import Counters, Period, SystemSample, health_report, telemetry_report
from schemas.codec import encode
from schemas.ids import new_message_id
from schemas.messages import BreakPolicy, Command, DesiredConfig
from schemas.topics import TopicKind, device_topic

BASE = {"device": {"tenant": "a", "location": "b", "device": "c"}, "source": {"url": "x.mp4"}}


def test_config_file_env_overrides_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        '[device]\ntenant = "a"\nlocation = "b"\ndevice = "c"\n[source]\nurl = "/dev/video0"\n'
        "[broker]\nport = 1883\n"
    )
    cfg = load_config(
        path,
        {
            "ADWATCH_WORKER__BROKER__PORT": "1884",
            "ADWATCH_WORKER__BROKER__DISCOVER": "true",
            "ADWATCH_WORKER__POLICY__AD_INPUT": "hdmi2",
            "OTHER": "ignored",
        },
    )
    assert (cfg.broker.port, cfg.broker.discover, cfg.policy.ad_input) == (1884, True, "hdmi2")
    with pytest.raises(ConfigError, match=r"unknown field `prot` - at `\$.broker`"):
        load_config(path, {"ADWATCH_WORKER__BROKER__PROT": "1"})
    with pytest.raises(ConfigError, match="missing required field `device`"):
        parse_config({"source": {"url": "x"}})
    with pytest.raises(ConfigError, match="switch_input needs ad_input and normal_input"):
        parse_config({**BASE, "policy": {"action": "switch_input"}})
    with pytest.raises(ConfigError, match="UTC offset"):
        parse_config({**BASE, "source": {"url": "x", "start_time": datetime(2026, 1, 1)}})
    with pytest.raises(ConfigError, match="not a table"):
        apply_env({"broker": 3}, {"ADWATCH_WORKER__BROKER__PORT": "1"})


def test_source_kinds_and_backoff() -> None:
    assert classify("/dev/video2") == "v4l2"
    assert classify("rtsp://cam/stream") == "stream"
    assert classify("udp://239.0.0.1:1234") == "stream"
    assert classify("/srv/demo.mp4") == "file"
    assert [backoff_delay(i, 0.5, 5.0) for i in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert public_source("rtsp://admin:secret@10.0.0.9:554/live") == "rtsp://10.0.0.9:554/live"


def test_downlink_parsing_and_policy_merge() -> None:
    cfg_topic = device_topic("a", "b", "c", TopicKind.CONFIG)
    desired = DesiredConfig.new(
        version=3, policy=BreakPolicy(action="switch_channel", ad_channel="9")
    )
    assert isinstance(parse_downlink(cfg_topic, encode(desired)), DesiredConfig)
    assert parse_downlink(cfg_topic, b"{not json") is None
    assert parse_downlink("adwatch/v1/a/b/c/health", encode(desired)) is None
    local = PolicyConfig(action="mute", normal_channel="4", normal_input="tv")
    merged = merge_policy(local, desired.policy)
    assert (merged.action, merged.ad_channel, merged.normal_channel) == ("switch_channel", "9", "4")
    assert merge_policy(local, None) is local
    old = datetime.now(UTC) - timedelta(minutes=1)
    expired = Command.new(command_id=new_message_id(), verb="snapshot-status", expires_at=old)
    assert "expired" in (command_problem(expired) or "")
    assert "unknown verb" in (
        command_problem(Command.new(command_id=new_message_id(), verb="reboot")) or ""
    )


def test_report_builders() -> None:
    system = SystemSample(
        cpu_percent=12.5, memory_percent=40.0, disk_percent=101.0, temperature_c=None
    )
    h = health_report(system, 5.0, 29.7, [1.0, 2.0, 3.0, 4.0, 100.0], 3)
    assert (h.inference_ms_p50, h.disk_percent, h.queue_depth) == (3.0, 100.0, 3)
    assert h.inference_ms_p95 > 50
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    period = Period(t0, Counters(10, 2, 0, 1.0, 5.0), breaks=2, confidences=[0.8, 0.6])
    t = telemetry_report(period, Counters(70, 14, 1, 31.0, 35.0), t0 + timedelta(seconds=60))
    assert (t.frames_captured, t.frames_analysed, t.frames_dropped) == (60, 12, 1)
    assert (t.ad_seconds, t.content_seconds, t.breaks) == (30.0, 30.0, 2)
    assert t.mean_confidence == pytest.approx(0.7)


class FlakyTv:
    """An in-memory controller (a TV that records; fails when told to)."""

    def __init__(self, name: str, fail: bool) -> None:
        self.name, self.fail, self.done = name, fail, []  # type: ignore[var-annotated]

    async def perform(self, action: TvAction) -> None:
        if self.fail:
            raise TvCommandError(f"{self.name} is unplugged")
        self.done.append(str(action))

    async def mute_state(self) -> bool | None:
        return None

    async def check(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_actor_reports_who_acted_and_failures() -> None:
    ir, cec = FlakyTv("ir", fail=True), FlakyTv("cec", fail=False)
    actor = BreakActor(ControllerChain([ir, cec]), PolicyConfig(action="mute"))
    assert (await actor.started("b1", 10.0, 11.0)).controller == "cec"
    assert (await actor.ended("b1", 40.0)).action == "mute"
    assert cec.done == ["mute", "unmute"]
    cec.fail = True
    out = await actor.started("b2", 50.0, 51.0)
    assert out.action == "failed" and "ir is unplugged" in out.detail
    assert (await actor.ended("b2", 80.0)).action == "failed"
    assert cec.done == ["mute", "unmute"]  # nothing "restored" after a failed mute


async def test_actor_waits_for_min_length() -> None:
    tv = FlakyTv("tv", fail=False)
    actor = BreakActor(ControllerChain([tv]), PolicyConfig(action="mute", min_break_s=20))
    assert (await actor.started("b", 0.0, 2.0)).action == "none"
    await actor.tick(19.0)
    assert tv.done == []
    await actor.tick(20.5)
    assert tv.done == ["mute"]
    assert (await actor.ended("b", 30.0)).action == "mute"
    assert tv.done == ["mute", "unmute"]


def test_example_config_is_valid() -> None:
    from edge.tv.chain import build_chain

    example = Path(__file__).resolve().parents[3] / "edge" / "worker" / "worker.example.toml"
    cfg = load_config(example, {})
    assert [c["type"] for c in cfg.tv.controllers] == ["cec", "lirc", "roku"]
    assert build_chain(cfg.tv).names == ["cec", "lirc", "roku"]
