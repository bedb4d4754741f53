"""The call controller (`earpiece.core.calls.controller`) on the phone's calls, as Qt signals: the
controller runs a voice session per connected call whose mode is not off (switched in place when
the user changes the mode, restarted on a new knowledge base), hands callers who ask for a person
over to the account's handover address (with an apology when that fails) and hangs up when the
session asks; its events become the signals the panels show."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from earpiece.core.calls.controller import CallController
from earpiece.core.calls.events import (
    CallProblem,
    ControllerEvent,
    SessionEvent,
    SessionStarted,
    TransferChanged,
    TransferStatus,
)
from earpiece.core.engine.events import (
    BotSpeakingStarted,
    BotSpeakingStopped,
    CallEnded,
    Speaker,
    StageError,
    SuggestionEvent,
    TranscriptEvent,
    TurnMetricsEvent,
)
from earpiece.core.engine.metrics import TurnMetrics
from earpiece.core.engine.session import VoiceStack
from earpiece.core.settings import CallMode, SettingsChanged
from earpiece.desktop.call_view import CallView
from earpiece.desktop.copilot_panel import SourceView, SuggestionView
from earpiece.desktop.latency_panel import latency_sample
from earpiece.desktop.phone import Phone
from earpiece.desktop.settings_signals import SettingsSignals
from earpiece.desktop.tasks import spawn
from earpiece.desktop.voice_models import VoiceModels
from earpiece.headless.sip_line import line_event
from earpiece.sip.events import SipEvent

log = logging.getLogger(__name__)

def suggestion_view(event: SuggestionEvent) -> SuggestionView:
    return SuggestionView(
        text=event.answer,
        question=event.question,
        sources=tuple(SourceView(s.title or Path(s.source).name, s.source, s.score, s.excerpt)
                      for s in event.sources),
        confidence=event.confidence,
        provisional=event.turn_id == 0,  # made from a partial transcript, as its line is
    )


def answered_view(metrics: TurnMetrics) -> SuggestionView:
    """What Earpiece said in autonomous mode, as a card with the sources it used."""
    score = metrics.top_score or 0.0
    return SuggestionView(
        text=metrics.answer,
        question=metrics.question,
        sources=tuple(SourceView(Path(s).name, s, score) for s in dict.fromkeys(metrics.sources)),
        spoken=True,
        confidence=metrics.confidence,
    )


class AiCalls(QObject):
    loading = Signal(str)  # progress text while the models load ("" when ready)
    unavailable = Signal(str)  # the models could not load: why (tried again on the next call)
    session_started = Signal(str, str)  # call id, mode
    transcript = Signal(str, str, str, float)  # call id, speaker, text, when said (monotonic; final only)
    partial_transcript = Signal(str, str, str, float)  # the same, for the words so far at a pause
    suggestion = Signal(str, object)  # call id, SuggestionView
    suggestion_withdrawn = Signal(str)  # call id: its provisional card (the top one) is not followed up
    turn_metrics = Signal(str, object)  # call id, LatencySample
    speaking = Signal(str, bool)  # call id, Earpiece is speaking into the call
    problem = Signal(str, str)  # call id, message

    def __init__(self, phone: Phone, settings: SettingsSignals, models: VoiceModels,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phone = phone
        self.settings = settings
        settings.changed.connect(self._settings_changed)
        self.models = models
        self.controller: CallController | None = None
        self._asked: dict[str, tuple[int, str]] = {}  # call id -> the caller's last line: turn, words
        self._answering: dict[str, int] = {}  # call id -> the turn whose answer shows while it is said
        self._stack: asyncio.Task[VoiceStack] | None = None
        phone.started.connect(self._attach)
        phone.call_changed.connect(self._on_changed)
        # Connected after the phone's own handler (Qt keeps the order): the call views, and the
        # mode and knowledge base chosen for the call, are up to date when the controller acts.
        phone.bridge.received.connect(self._on_sip_event)

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
            self.unavailable.emit(str(exc))
            self._stack = None  # try again on the next call
            raise
        self.loading.emit("")
        return stack

    async def new_stack(self, kb_name: str) -> VoiceStack:
        """The controller's `StackSource`: the models loaded once, a stack per call."""
        await self.preload()
        return await self.models.new_stack(kb_name)

    def stop_all(self) -> asyncio.Future[list[object]] | None:
        """End every session (the window closes); await the result for their records."""
        return self.controller.stop_all() if self.controller is not None else None

    # -- phone and controller events -------------------------------------------------------------
    def _attach(self) -> None:
        """The phone's SIP engine runs: the controller drives its calls from now on."""
        if self.controller is not None or self.phone.engine is None:
            return
        engine, accounts = self.phone.engine, self.phone.accounts.get
        self.controller = CallController(self.settings.current, engine, self, accounts=accounts)
        self.controller.events.subscribe(self._on_controller_event)
        for call in self.phone.calls.values():
            self._on_changed(call)
        spawn(self.controller.start())  # retention, and records of calls lost in a crash

    def _settings_changed(self, change: SettingsChanged) -> None:
        """Calls answered from now on follow the new settings (their greeting, whisper, limits)."""
        if self.controller is not None:
            self.controller.settings = change.new

    def _on_sip_event(self, event: SipEvent) -> None:
        change = line_event(event)
        if change is not None and self.controller is not None:
            self.controller.handle(change)

    def _on_changed(self, call: CallView) -> None:
        if self.controller is not None:
            self.controller.set_mode(call.call_id, call.mode)
            self.controller.set_knowledge_base(call.call_id, call.knowledge_base)

    def _on_controller_event(self, event: ControllerEvent) -> None:
        if isinstance(event, SessionEvent):
            self._on_session_event(event)
        elif isinstance(event, SessionStarted):
            self.session_started.emit(event.call_id, event.mode.value)
        elif isinstance(event, TransferChanged):
            if event.status is TransferStatus.STARTED:
                self.problem.emit(event.call_id,
                                  f"The caller asked for a person: handing over to {event.destination}")
            elif event.status is TransferStatus.FAILED:
                self.problem.emit(event.call_id, f"The caller asked for a person, but the transfer did not "
                                  f"happen ({event.detail}); Earpiece apologised to the caller.")
        elif isinstance(event, CallProblem):
            self.problem.emit(event.call_id, event.message)

    def _on_session_event(self, session: SessionEvent) -> None:
        call_id, event = session.call_id, session.event
        if isinstance(event, TranscriptEvent):
            if event.final:
                self.transcript.emit(call_id, event.speaker.value, event.text, event.at)
                if event.speaker is Speaker.CALLER:
                    self._asked[call_id] = (event.turn_id, event.text)
            else:  # the turn goes on: its final line replaces this one
                self.partial_transcript.emit(call_id, event.speaker.value, event.text, event.at)
        elif isinstance(event, SuggestionEvent):
            self.suggestion.emit(call_id, suggestion_view(event))
        elif isinstance(event, TurnMetricsEvent):
            metrics = event.metrics
            if metrics.voice_to_voice_ms is not None:
                self.turn_metrics.emit(call_id, latency_sample(metrics))
            answering = self._answering.get(call_id) == metrics.turn_id
            if answering:
                del self._answering[call_id]
            autonomous = session.mode is CallMode.AUTONOMOUS
            if autonomous and metrics.answer and metrics.intent in ("", "question"):
                self.suggestion.emit(call_id, answered_view(metrics))
            elif answering:  # a goodbye or a handover: no answer card follows the one being said
                self.suggestion_withdrawn.emit(call_id)
        elif isinstance(event, BotSpeakingStarted):
            self.speaking.emit(call_id, True)
            self._show_answering(session, event)
        elif isinstance(event, BotSpeakingStopped):
            self.speaking.emit(call_id, False)
        elif isinstance(event, StageError):
            self.problem.emit(call_id, f"{event.stage}: {event.message}")
        elif isinstance(event, CallEnded):
            self._asked.pop(call_id, None)
            self._answering.pop(call_id, None)

    def _show_answering(self, session: SessionEvent, started: BotSpeakingStarted) -> None:
        """Earpiece starts answering the caller's last line aloud: its first sentence shows now, as
        a provisional card the whole answer replaces once it has been said (a reply can take many
        seconds to say; its turn figures, and so the full card, come at its end)."""
        call_id = session.call_id
        asked = self._asked.get(call_id)
        if session.mode is CallMode.AUTONOMOUS and asked is not None and asked[0] == started.turn_id:
            self._answering[call_id] = started.turn_id
            saying = SuggestionView(started.text, asked[1], spoken=True, provisional=True)
            self.suggestion.emit(call_id, saying)
