"""The voice engine on the phone's calls: a `CallSession` per connected call whose mode is not
off, running as an asyncio task on the qasync loop; its events become Qt signals for the panels,
and its transfer / hang-up requests become phone commands."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from earpiece.core.engine.events import (
    BotSpeakingStarted,
    BotSpeakingStopped,
    EngineEvent,
    HangUpRequested,
    StageError,
    SuggestionEvent,
    TranscriptEvent,
    TransferRequested,
    TurnMetricsEvent,
)
from earpiece.core.engine.metrics import TurnMetrics
from earpiece.core.engine.session import CallSession, EngineConfig, VoiceStack
from earpiece.core.settings import CallMode, Settings
from earpiece.desktop.call_view import CallView
from earpiece.desktop.copilot_panel import SourceView, SuggestionView
from earpiece.desktop.latency_panel import latency_sample
from earpiece.desktop.phone import Phone
from earpiece.desktop.tasks import spawn
from earpiece.desktop.voice_models import VoiceModels

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Running:
    session: CallSession
    task: asyncio.Task[object]
    mode: CallMode
    knowledge_base: str


def suggestion_view(event: SuggestionEvent) -> SuggestionView:
    return SuggestionView(
        text=event.answer,
        question=event.question,
        sources=tuple(SourceView(s.title or Path(s.source).name, s.source, s.score) for s in event.sources),
    )


def answered_view(metrics: TurnMetrics) -> SuggestionView:
    """What Earpiece said in autonomous mode, as a card with the sources it used."""
    score = metrics.top_score or 0.0
    return SuggestionView(
        text=metrics.answer,
        question=metrics.question,
        sources=tuple(SourceView(Path(s).name, s, score) for s in dict.fromkeys(metrics.sources)),
        spoken=True,
    )


class AiCalls(QObject):
    loading = Signal(str)  # progress text while the models load ("" when ready)
    session_started = Signal(str, str)  # call id, mode
    transcript = Signal(str, str, str)  # call id, speaker, text (final transcripts)
    suggestion = Signal(str, object)  # call id, SuggestionView
    turn_metrics = Signal(str, object)  # call id, LatencySample
    speaking = Signal(str, bool)  # call id, Earpiece is speaking into the call
    problem = Signal(str, str)  # call id, message

    def __init__(self, phone: Phone, settings: Settings, models: VoiceModels,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phone = phone
        self.settings = settings
        self.models = models
        self._stack: asyncio.Task[VoiceStack] | None = None
        self.sessions: dict[str, _Running] = {}
        self._starting: set[str] = set()
        phone.call_answered.connect(self._on_answered)
        phone.call_changed.connect(self._on_changed)
        phone.call_ended.connect(self._on_ended)
        phone.dtmf_received.connect(self._on_dtmf)

    def preload(self) -> asyncio.Task[VoiceStack]:
        """Load the models now (in the background) so the first call does not wait for them."""
        if self._stack is None:
            self._stack = asyncio.get_event_loop().create_task(self._load())
        return self._stack

    async def _load(self) -> VoiceStack:
        self.loading.emit("Loading speech and knowledge models…")
        try:
            stack = await self.models.load()
        except Exception as exc:
            self.loading.emit(f"AI unavailable: {exc}")
            self._stack = None  # try again on the next call
            raise
        self.loading.emit("")
        return stack

    def stop_all(self) -> None:
        for running in list(self.sessions.values()):
            running.session.stop("stopped")

    # -- phone events ----------------------------------------------------------------------------
    def _on_answered(self, call: CallView) -> None:
        if call.mode is not CallMode.OFF:
            spawn(self._start(call.call_id, call.mode), lambda exc: self.problem.emit(call.call_id, str(exc)))

    def _on_changed(self, call: CallView) -> None:
        running = self.sessions.get(call.call_id)
        connected = call.answered_at is not None and call.active
        if running is not None and running.mode is not call.mode:
            running.session.stop("mode changed")  # `_run` restarts it in the new mode if not off
        elif running is not None and running.knowledge_base != call.knowledge_base:
            running.session.stop("knowledge base changed")  # restarted on the new one
        elif running is None and connected and call.mode is not CallMode.OFF:
            spawn(self._start(call.call_id, call.mode), lambda exc: self.problem.emit(call.call_id, str(exc)))

    def _on_ended(self, call: CallView) -> None:
        running = self.sessions.get(call.call_id)
        if running is not None:
            running.session.stop("remote")

    def _on_dtmf(self, call_id: str, digit: str) -> None:
        running = self.sessions.get(call_id)
        if running is not None:
            running.session.press_dtmf(digit)

    # -- sessions --------------------------------------------------------------------------------
    async def _start(self, call_id: str, mode: CallMode) -> None:
        if call_id in self.sessions or call_id in self._starting or self.phone.engine is None:
            return
        self._starting.add(call_id)  # the models may still be loading
        try:
            await self.preload()
            knowledge_base = self.phone.calls[call_id].knowledge_base if call_id in self.phone.calls else ""
            stack = await self.models.new_stack(knowledge_base)
            audio = self.phone.engine.call_audio(call_id)
        finally:
            self._starting.discard(call_id)
        # Copilot hears the agent through the headset microphone and may whisper into the headset only.
        copilot = mode is CallMode.COPILOT
        session = CallSession(
            stack, mode=mode, sink=audio.sink, call_id=call_id,
            agent_sink=audio.agent.sink if copilot and self.settings.ui.whisper_to_agent else None,
            config=EngineConfig.from_settings(self.settings),
        )
        session.events.subscribe(lambda event: self._on_engine_event(call_id, mode, event))
        agent_frames = audio.agent.frames() if copilot else None
        task = asyncio.get_event_loop().create_task(session.run(audio.frames(), agent_frames))
        self.sessions[call_id] = _Running(session, task, mode, knowledge_base)
        task.add_done_callback(lambda _t: self._session_done(call_id))
        self.session_started.emit(call_id, mode.value)

    def _session_done(self, call_id: str) -> None:
        self.sessions.pop(call_id, None)
        call = self.phone.calls.get(call_id)
        if call is not None and call.answered_at is not None and call.mode is not CallMode.OFF:
            spawn(self._start(call_id, call.mode))  # the mode was changed mid-call

    def _hand_over(self, call_id: str, mode: CallMode, event: TransferRequested) -> None:
        """Autonomous calls go to the account's handover address; otherwise the agent decides."""
        call = self.phone.calls.get(call_id)
        account = self.phone.accounts.get(call.account_id) if call else None
        if mode is CallMode.AUTONOMOUS and account is not None and account.handover_uri:
            target = account.handover_uri
            self.problem.emit(call_id, f"The caller asked for a person: handing over to {target}")
            self.phone.transfer(call_id, target)
        else:
            self.problem.emit(call_id, f"The caller asked for a person. {event.summary}")

    def _on_engine_event(self, call_id: str, mode: CallMode, event: EngineEvent) -> None:
        if isinstance(event, TranscriptEvent):
            if event.final:
                self.transcript.emit(call_id, event.speaker.value, event.text)
        elif isinstance(event, SuggestionEvent):
            self.suggestion.emit(call_id, suggestion_view(event))
        elif isinstance(event, TurnMetricsEvent):
            metrics = event.metrics
            if metrics.voice_to_voice_ms is not None:
                self.turn_metrics.emit(call_id, latency_sample(metrics))
            if mode is CallMode.AUTONOMOUS and metrics.answer and metrics.intent in ("", "question"):
                self.suggestion.emit(call_id, answered_view(metrics))
        elif isinstance(event, BotSpeakingStarted):
            self.speaking.emit(call_id, True)
        elif isinstance(event, BotSpeakingStopped):
            self.speaking.emit(call_id, False)
        elif isinstance(event, TransferRequested):
            self._hand_over(call_id, mode, event)
        elif isinstance(event, HangUpRequested):
            self.phone.hangup(call_id)
        elif isinstance(event, StageError):
            self.problem.emit(call_id, f"{event.stage}: {event.message}")
