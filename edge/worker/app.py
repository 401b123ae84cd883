"""The worker's lifecycle: wire capture, detection, policy, TV and MQTT; stop cleanly.

Concurrency: the pipeline thread owns capture + detection; everything else is tasks on
one event loop. Events and telemetry go through the durable outbox and leave it only on
the broker's PUBACK. SIGTERM/SIGINT (or the end of a non-looping file): stop the
pipeline (its open break is closed and the TV restored), publish the last telemetry
period, drain the outbox, publish the retained offline status, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import structlog

from broker.spool import Outgoing, Spool, SpoolFull, classify_topic
from edge.detect.engine import BreakStarted, DetectError, DetectSettings
from edge.tv.chain import ControllerChain, build_chain
from edge.worker import downlink
from edge.worker.acting import BreakActor
from edge.worker.config import WorkerConfig
from edge.worker.errors import WorkerError
from edge.worker.link import LinkIdentity, MqttLink
from edge.worker.pipeline import Detected, DetectorFactory, Pipeline, detect_settings
from edge.worker.reports import (
    Counters,
    Period,
    Uptime,
    health_report,
    sample_system,
    telemetry_report,
)
from schemas.codec import encode
from schemas.ids import utc_now
from schemas.messages import AdBreakEnded, AdBreakStarted, Command, DeviceStatus, Message
from schemas.topics import TopicKind, device_topic

log = structlog.get_logger(__name__)


def public_source(url: str) -> str:
    """The source as reported in events: no credentials, at most 128 characters."""
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts)[-128:]


def engine_factory(cfg: WorkerConfig) -> DetectorFactory:
    def build(settings: DetectSettings) -> object:
        from edge.detect.engine import DetectionEngine

        return DetectionEngine(settings, Path(cfg.detect.model) if cfg.detect.model else None)

    return build  # type: ignore[return-value]


class Worker:
    def __init__(
        self,
        cfg: WorkerConfig,
        factory: DetectorFactory | None = None,
        chain: ControllerChain | None = None,
    ) -> None:
        self.cfg = cfg
        dev = cfg.device
        self.topic = {k: device_topic(dev.tenant, dev.location, dev.device, k) for k in TopicKind}
        self.chain = chain if chain is not None else build_chain(cfg.tv)
        self.actor = BreakActor(self.chain, cfg.policy.to_policy())
        self.settings = detect_settings(cfg.detect)
        self.health_s, self.telemetry_s = cfg.intervals.health_s, cfg.intervals.telemetry_s
        self.config_version: int | None = None
        self.source_label = cfg.source.channel or public_source(cfg.source.url)
        self._factory = factory or engine_factory(cfg)
        self._events: asyncio.Queue[Detected] = asyncio.Queue()
        self._stop = asyncio.Event()
        self._intervals_changed = asyncio.Event()
        self._act_lock = asyncio.Lock()
        self._uptime = Uptime()
        self._break_ids: dict[str, object] = {}
        self.exit_code = 0
        self.outbox_left: int | None = None  # outbox depth at exit (0 = fully delivered)
        Path(cfg.outbox.path).parent.mkdir(parents=True, exist_ok=True)
        self.spool = Spool(Path(cfg.outbox.path), max_bytes=cfg.outbox.max_bytes)
        self.pipeline = Pipeline(cfg.source, self.settings, self._factory, self._emit)
        self.link = MqttLink(
            cfg.broker,
            LinkIdentity(
                client_id=f"adwatch-{dev.tenant}-{dev.location}-{dev.device}",
                status_topic=self.topic[TopicKind.STATUS],
                subscriptions=(self.topic[TopicKind.CONFIG], self.topic[TopicKind.CMD]),
            ),
            self.spool,
            self._on_downlink,
            lambda state: encode(self.status(state)),
        )
        self._period = Period(utc_now(), Counters())
        self._health_prev = (0.0, 0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bg: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- messages

    def status(self, state: str, reason: str = "") -> DeviceStatus:
        return DeviceStatus.new(
            state="online" if state == "online" else "offline",
            since=utc_now(),
            firmware=self.cfg.device.firmware,
            hardware=self.cfg.device.hardware,
            config_version=self.config_version,
            reason=reason,
        )

    async def enqueue(self, kind: TopicKind, msg: Message, retain: bool = False) -> None:
        """Durably queue a message (fsync off the loop), then wake the link."""
        topic = self.topic[kind]
        item = Outgoing(topic, encode(msg), qos=1, retain=retain, klass=classify_topic(topic))
        while True:  # events and telemetry are never dropped: wait for the broker to ack
            try:
                await asyncio.to_thread(self.spool.put_wait, item, 30.0)
                break
            except SpoolFull:
                log.error("outbox_full_waiting", topic=topic, depth=self.spool.depth)
        self.link.wake()

    def _emit(self, detected: Detected) -> None:  # pipeline thread
        loop = self._loop
        assert loop is not None
        loop.call_soon_threadsafe(self._events.put_nowait, detected)

    # ------------------------------------------------------------------- breaks

    async def _handle(self, detected: Detected) -> None:
        from schemas.ids import new_message_id

        ev = detected.event
        model = self.pipeline.stats.model_version[:128] or "unknown"
        async with self._act_lock:
            if isinstance(ev, BreakStarted):
                break_uuid = self._break_ids.setdefault(ev.break_id, new_message_id())
                out = await self.actor.started(ev.break_id, ev.start_s, ev.decided_at_s)
                self._period.breaks += 1
                self._period.confidences.append(ev.confidence)
                msg: Message = AdBreakStarted.new(
                    break_id=break_uuid,
                    source=self.source_label,
                    started_at=detected.wall(ev.start_s),
                    confidence=_prob(ev.confidence),
                    action=out.action,
                    controller=out.controller[:128],
                    model_version=model,
                )
            else:
                break_uuid = self._break_ids.pop(ev.break_id, None) or new_message_id()
                out = await self.actor.ended(ev.break_id, ev.end_s)
                start = detected.wall(min(ev.start_s, ev.end_s))
                msg = AdBreakEnded.new(
                    break_id=break_uuid,
                    source=self.source_label,
                    started_at=start,
                    ended_at=detected.wall(ev.end_s),
                    confidence=_prob(ev.confidence),
                    action=out.action,
                    controller=out.controller[:128],
                    model_version=model,
                )
        log.info(
            "ad_event",
            type=type(msg).__name__,
            action=out.action,
            controller=out.controller,
            detail=out.detail,
        )
        await self.enqueue(TopicKind.AD_EVENTS, msg)

    async def _consume(self) -> None:
        while True:
            await self._handle(await self._events.get())

    async def _ticks(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            async with self._act_lock:
                await self.actor.tick(self.pipeline.stats.last_t)

    # ------------------------------------------------------------------ reports

    def counters(self) -> Counters:
        s = self.pipeline.stats
        with s.lock:
            return Counters(
                s.frames_captured,
                s.frames_analysed,
                s.frames_dropped,
                s.ad_seconds,
                s.content_seconds,
            )

    async def _every(
        self, interval_s: Callable[[], float], send: Callable[[], Awaitable[None]]
    ) -> None:
        while True:
            self._intervals_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._intervals_changed.wait(), interval_s())
                continue  # interval changed by the downlink: start a fresh wait
            await send()

    async def send_health(self) -> None:
        before = self._health_prev
        now_s, frames = self._uptime.seconds(), self.counters().frames_captured
        self._health_prev = (now_s, frames)
        s = self.pipeline.stats
        with s.lock:
            inference, s.inference_ms = s.inference_ms, []
        system = await asyncio.to_thread(sample_system, Path(self.cfg.outbox.path))
        fps = (frames - before[1]) / max(1e-6, now_s - before[0])
        report = health_report(system, now_s, fps, inference, self.spool.depth)
        await self.enqueue(TopicKind.HEALTH, report)

    async def send_telemetry(self) -> None:
        now, end = self.counters(), utc_now()
        report = telemetry_report(self._period, now, end)
        self._period = Period(end, now)
        await self.enqueue(TopicKind.TELEMETRY, report)

    # ----------------------------------------------------------------- downlink

    def _on_downlink(self, topic: str, payload: bytes) -> None:
        msg = downlink.parse_downlink(topic, payload)
        if msg is not None:
            task = asyncio.get_running_loop().create_task(self._apply(msg))
            self._bg.add(task)
            task.add_done_callback(self._bg.discard)

    async def _apply(self, msg: object) -> None:
        if isinstance(msg, Command):
            await self.run_command(msg)
            return
        from schemas.messages import DesiredConfig

        assert isinstance(msg, DesiredConfig)
        if msg.version == self.config_version:
            return
        policy = downlink.merge_policy(self.actor.policy, msg.policy)
        problems = policy.problems()
        try:
            settings = detect_settings(self.cfg.detect, msg.threshold)
        except DetectError as exc:
            problems.append(str(exc))
        if problems:
            log.error("config_rejected", version=msg.version, problems=problems)
            return
        self.pipeline.update_settings(settings)
        self.actor.set_policy(policy)
        self.health_s, self.telemetry_s = msg.health_interval_s, msg.telemetry_interval_s
        self._intervals_changed.set()
        self.config_version = msg.version
        log.info("config_applied", version=msg.version)
        await self.enqueue(TopicKind.STATUS, self.status("online"), retain=True)

    async def run_command(self, cmd: Command) -> None:
        problem = downlink.command_problem(cmd)
        if problem is not None:
            res = downlink.result(cmd, False, problem)
        elif cmd.verb == "restart-pipeline":
            self.pipeline.request_restart()
            res = downlink.result(cmd, True, "pipeline restarting")
        else:
            res = downlink.result(cmd, True, "status", self.snapshot())
        await self.enqueue(TopicKind.CMD_RESULT, res)

    def snapshot(self) -> dict[str, str]:
        c, s = self.counters(), self.pipeline.stats
        return {
            "config_version": str(self.config_version),
            "source": self.source_label,
            "model_version": s.model_version or "unknown",
            "in_break": str(s.in_break).lower(),
            "frames_captured": str(c.frames_captured),
            "frames_analysed": str(c.frames_analysed),
            "outbox_depth": str(self.spool.depth),
            "restarts": str(s.restarts),
            "policy": self.actor.policy.action,
            "uptime_s": f"{self._uptime.seconds():.1f}",
            "tv_controllers": ",".join(self.chain.names),
        }

    # ---------------------------------------------------------------- lifecycle

    def request_stop(self) -> None:
        """Same as SIGTERM: stop cleanly (flush the open break, drain, say offline)."""
        self._stop.set()

    async def run(self) -> int:
        self._loop = loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        link_stop = asyncio.Event()
        link_task = asyncio.create_task(self.link.run(link_stop))
        loops = [
            asyncio.create_task(c)
            for c in (
                self._consume(),
                self._ticks(),
                self._every(lambda: self.health_s, self.send_health),
                self._every(lambda: self.telemetry_s, self.send_telemetry),
                self._watch_pipeline(),
            )
        ]
        self.pipeline.start()
        try:
            await self._stop.wait()
        finally:
            await self._shutdown(loops, link_stop, link_task)
        return self.exit_code

    async def _watch_pipeline(self) -> None:
        await asyncio.to_thread(self.pipeline.finished.wait)
        if self.pipeline.error is not None:
            log.error("pipeline_failed", error=str(self.pipeline.error))
            self.exit_code = 1
        self._stop.set()

    async def _shutdown(
        self,
        loops: list[asyncio.Task[None]],
        link_stop: asyncio.Event,
        link_task: asyncio.Task[None],
    ) -> None:
        log.info("worker_stopping")
        self.pipeline.stop()
        await asyncio.to_thread(self.pipeline.join, 30)
        await asyncio.sleep(0)  # let the last call_soon_threadsafe land
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        while not self._events.empty():  # the flushed end of an open break
            await self._handle(self._events.get_nowait())
        await self.send_telemetry()
        drained = await self.link.drain(self.cfg.outbox.drain_timeout_s)
        offline = await self.link.say_offline(5.0)
        log.info(
            "worker_stopped",
            drained=drained,
            offline_published=offline,
            outbox_depth=self.spool.depth,
        )
        link_stop.set()
        await link_task
        await self.chain.aclose()
        self.outbox_left = self.spool.depth
        self.spool.close()


def _prob(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


async def run_worker(cfg: WorkerConfig) -> int:
    worker = Worker(cfg)
    if cfg.tv.check_at_start:
        failed = [a for a in await worker.chain.check() if not a.ok]
        if failed and len(failed) == len(worker.chain.controllers):
            worker.spool.close()
            raise WorkerError(
                "no TV controller reachable: "
                + "; ".join(f"{a.controller}: {a.error}" for a in failed)
            )
    return await worker.run()
