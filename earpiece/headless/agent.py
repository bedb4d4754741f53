"""A phone line that answers itself: the SIP engine's inbound calls joined to autonomous call sessions.

The asyncio loop (the main thread) owns every call's session; the SIP engine runs on its own
thread and its events are handed to the loop with `call_soon_threadsafe`. Per call:

    INVITE -> answer -> session (greeting, questions, answers) -> transfer / hang-up -> JSON record

On shutdown (SIGTERM, SIGINT or `request_shutdown`) new calls are refused with 486, a reply being
spoken is allowed to finish (up to `shutdown_grace_s`), then each caller hears a goodbye and is
hung up; the account is unregistered and the pjsua2 endpoint torn down last.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from earpiece.core.engine import (
    BotSpeakingStarted,
    BotSpeakingStopped,
    CallEnded,
    CallSession,
    EngineEvent,
    Speaker,
    TranscriptEvent,
    TransferRequested,
    TurnMetricsEvent,
    VoiceStack,
    calls_dir,
)
from earpiece.core.engine import EngineConfig as ConversationConfig
from earpiece.core.engine.factory import build_voice_stack, warm_up
from earpiece.core.knowledge import KnowledgeReader, KnowledgeRetriever, RemoteReader, open_reader
from earpiece.core.settings import AccountSettings, CallMode, Settings
from earpiece.core.tts.normalize import normalize_for_speech
from earpiece.headless.call_report import CallFacts, TransferAttempt, call_report, write_report
from earpiece.headless.journal import CallJournal, recover_lost_calls
from earpiece.sip.call_audio import CallAudio
from earpiece.sip.config import EngineConfig as SipConfig
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import (
    CallMediaChanged,
    CallState,
    CallStateChanged,
    DtmfReceived,
    IncomingCall,
    RegistrationChanged,
    RegistrationState,
    RejectReason,
    SipEvent,
    TransferProgress,
)

log = logging.getLogger(__name__)

_NOT_RETRIED = {401, 403, 404, 407, 423, 484, 603}  # registration answers that waiting cannot fix
_POLL_S = 0.05


class AgentError(RuntimeError):
    """The agent could not start (registration refused, knowledge base missing, SIP failure)."""


@dataclass(frozen=True, slots=True)
class AgentOptions:
    account: AccountSettings
    kb_name: str | None = None  # None: settings.knowledge.default_kb ("sample" is ingested if absent)
    transfer_to: str = ""  # where "I'd like to speak to a person" goes; "" = nowhere (logged)
    max_calls: int = 4  # more simultaneous calls are refused with 486 Busy Here
    answer_delay_s: float = 0.0
    calls_dir: Path | None = None  # None: data_dir()/calls
    greeting: str | None = None  # None: the engine's default greeting
    goodbye: str = "I'm sorry, this line is closing now. Thank you for calling, goodbye!"
    no_transfer: str = "I'm sorry, I couldn't reach a colleague right now. Can I help you with anything else?"
    shutdown_grace_s: float = 15.0  # a reply in progress may finish within this
    registration_timeout_s: float = 30.0
    # Load the voice and the knowledge base, then wait for "go" on stdin before starting SIP (the
    # supervisor's warm spare: it takes over a crashed agent's line in well under a second).
    standby: bool = False


@dataclass(slots=True)
class _Call:
    facts: CallFacts
    session: CallSession | None = None
    task: asyncio.Task[None] | None = None
    session_end_reason: str = "remote"
    speaking: bool = False
    answering: bool = False  # a caller's question is being answered
    audio: CallAudio | None = None
    stack: VoiceStack | None = None
    # The largest gap between incoming audio frames, per stretch of the call (a stall of the
    # bridge's clock shows where it happened: while computing a reply, or while speaking it).
    frame_gaps: list[dict[str, object]] = field(default_factory=list)
    max_frame_gap_ms: float = 0.0
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)


class AnsweringAgent:
    """Construct, then `await run()`; it returns after a clean shutdown."""

    def __init__(
        self,
        settings: Settings,
        options: AgentOptions,
        *,
        sip_config: SipConfig,
        password: str,
        announce: Callable[[str], None] = print,
    ) -> None:
        # The agent answers by itself; the engine's own auto-answer timer would race with it.
        self.settings = settings
        account = options.account.model_copy(update={"auto_answer_s": None})
        self.options = dataclasses.replace(options, account=account)
        self.sip_config = sip_config
        self._password = password
        self._announce = announce
        self.kb_name = options.kb_name or settings.knowledge.default_kb
        self.calls_dir = options.calls_dir or calls_dir()
        self._journal = CallJournal(self.calls_dir, self.kb_name)
        self._calls: dict[str, _Call] = {}
        self._background: set[asyncio.Task[bool]] = set()  # referenced until done (asyncio keeps weak refs)
        self._engine: SipEngine | None = None
        self._reader: KnowledgeReader | RemoteReader | None = None
        self._retriever: KnowledgeRetriever | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = asyncio.Event()
        self._closing = False
        self._force = False
        self._registration: RegistrationChanged | None = None
        self._registration_changed = asyncio.Event()

    # -- public ------------------------------------------------------------------------------------
    def request_shutdown(self) -> None:
        """Finish politely (the first time) or at once (the second time). Loop thread only."""
        if self._stop.is_set():
            log.warning("second stop request: ending calls without waiting")
            self._force = True
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
                loop.add_signal_handler(sig, self.request_shutdown)
        try:
            cause = "an earlier agent process ended"
            lost = await asyncio.to_thread(recover_lost_calls, self.calls_dir, cause)
            for path in lost:
                self._announce(f"earpiece agent: call lost in an earlier crash recorded: {path}")
            await self._prepare_voice()
            if self.options.standby and not await self._promoted():
                return  # stopped while standing by
            await self._start_sip()
            await self._register()
            account = self.options.account
            self._announce(
                f"earpiece agent: registered as {account.username}@{account.domain}; answering calls "
                f"from knowledge base {self.kb_name!r} (SIGTERM or Ctrl+C to stop)"
            )
            await self._stop.wait()
            self._announce(f"earpiece agent: stopping ({len(self._calls)} call(s) in progress)")
            await self._shutdown()
        finally:
            await self._close()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
        self._announce("earpiece agent: stopped")

    # -- start-up ----------------------------------------------------------------------------------
    async def _prepare_voice(self) -> None:
        """Open the knowledge base (as a reader) and load the models before the first call arrives."""
        try:
            self._reader = await asyncio.to_thread(
                open_reader, self.kb_name, settings=self.settings.knowledge
            )
        except Exception as exc:  # KnowledgeBaseNotFoundError names the known bases
            raise AgentError(f"knowledge base {self.kb_name!r}: {exc}") from exc
        self._retriever = KnowledgeRetriever(self._reader, self.kb_name)
        started = time.monotonic()
        await warm_up(self._new_stack())
        log.info("voice models ready in %.1f s", time.monotonic() - started)
        # A full collection walks every object the models and the store made (~60 ms on an idle
        # 2-core machine, holding the GIL and so stalling every call's 20 ms audio clock); frozen,
        # they are skipped from now on. `_close` unfreezes them before the pjsua2 teardown.
        gc.collect()
        gc.freeze()

    async def _promoted(self) -> bool:
        """Standby: wait for "go" on stdin (True) or a stop request / end of stdin (False)."""
        assert self._loop is not None
        loop, fd, go = self._loop, sys.stdin.fileno(), asyncio.Event()
        self._announce("earpiece agent: standing by (voice ready); waiting for the supervisor")

        def read() -> None:
            line = sys.stdin.readline()
            loop.remove_reader(fd)
            if line.strip() == "go":
                go.set()
            else:  # the supervisor is gone
                self.request_shutdown()

        loop.add_reader(fd, read)
        waiters = [asyncio.ensure_future(go.wait()), asyncio.ensure_future(self._stop.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            loop.remove_reader(fd)
            for waiter in waiters:
                waiter.cancel()
        return go.is_set() and not self._stop.is_set()

    def _new_stack(self) -> VoiceStack:
        return build_voice_stack(self.settings, retriever=self._retriever)

    async def _start_sip(self) -> None:
        engine = SipEngine(self.sip_config, password_lookup=lambda _account_id: self._password)
        await asyncio.to_thread(engine.start)
        self._engine = engine
        assert self._loop is not None
        loop = self._loop

        def hand_over(event: SipEvent) -> None:  # SIP thread
            with contextlib.suppress(RuntimeError):  # the loop is closed: shutting down
                loop.call_soon_threadsafe(self._on_sip_event, event)

        engine.subscribe(hand_over)
        ip, port = engine.local_address()
        log.info("SIP engine listening on %s:%d", ip, port)

    async def _register(self) -> None:
        engine = self._require_engine()
        account = self.options.account
        await asyncio.wrap_future(engine.add_account(account, self._password))
        if not account.registration:
            return
        deadline = time.monotonic() + self.options.registration_timeout_s
        while True:
            change = self._registration
            if change is not None and change.state is RegistrationState.REGISTERED:
                return
            refused = change is not None and change.state is RegistrationState.FAILED
            if change is not None and refused and change.code in _NOT_RETRIED:
                raise AgentError(f"registration of {account.id} refused: {change.reason}")
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.is_set():
                reason = change.reason if change is not None else "no answer from the registrar"
                raise AgentError(f"{account.id} did not register within "
                                 f"{self.options.registration_timeout_s:g} s: {reason}")
            self._registration_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._registration_changed.wait(), min(remaining, 1.0))

    def _require_engine(self) -> SipEngine:
        if self._engine is None:
            raise AgentError("the SIP engine is not running")
        return self._engine

    # -- SIP events (loop thread) ------------------------------------------------------------------
    def _on_sip_event(self, event: SipEvent) -> None:
        if isinstance(event, RegistrationChanged):
            if event.account_id == self.options.account.id:
                self._registration = event
                self._registration_changed.set()
                log.info("registration: %s (%s)", event.state, event.reason)
            return
        if isinstance(event, IncomingCall):
            self._on_incoming(event)
            return
        call = self._calls.get(getattr(event, "call_id", ""))
        if call is None:
            return
        if isinstance(event, CallStateChanged):
            self._on_call_state(call, event)
        elif isinstance(event, CallMediaChanged) and event.codec:
            call.facts.codec = event.codec
        elif isinstance(event, DtmfReceived) and call.session is not None:
            call.session.press_dtmf(event.digit)
        elif isinstance(event, TransferProgress) and call.facts.transfers:
            attempt = call.facts.transfers[-1]
            attempt.code, attempt.final = event.code, event.final
            log.info("call %s: transfer %s %d %s", event.call_id, "ended" if event.final else "progress",
                     event.code, event.reason)
            if event.final and not attempt.succeeded:
                self._transfer_failed(call)

    def _on_incoming(self, event: IncomingCall) -> None:
        if event.account_id != self.options.account.id:
            return
        engine = self._require_engine()
        if self._closing or len(self._calls) >= self.options.max_calls:
            why = "shutting down" if self._closing else f"{len(self._calls)} calls in progress"
            log.info("refusing call from %s (%s)", event.remote_uri, why)
            _log_failure(engine.reject(event.call_id, RejectReason.BUSY), f"reject {event.call_id}")
            return
        facts = CallFacts(event.call_id, event.account_id, event.remote_uri, event.display_name, event.at)
        self._calls[event.call_id] = _Call(facts)
        self._journal.offered(facts)
        log.info("call %s from %s: answering", event.call_id, event.remote_uri)
        assert self._loop is not None
        self._loop.call_later(
            self.options.answer_delay_s,
            lambda: _log_failure(engine.answer(event.call_id), f"answer {event.call_id}"),
        )

    def _on_call_state(self, call: _Call, event: CallStateChanged) -> None:
        if event.state is CallState.CONFIRMED and call.task is None:
            call.facts.answered_at = event.at
            self._journal.answered(call.facts)
            self._start_session(call)  # even when closing: the caller then hears the goodbye
        elif event.state is CallState.DISCONNECTED:
            call.facts.disconnected = True
            call.facts.sip_end_code, call.facts.sip_end_reason = event.code, event.reason
            call.disconnected.set()
            if call.session is not None:
                call.session.stop("remote")
            elif call.task is None:  # ended before it was answered
                log.info("call %s ended before it was answered: %s", event.call_id, event.reason)
                self._drop_call(event.call_id)

    # -- sessions ----------------------------------------------------------------------------------
    def _start_session(self, call: _Call) -> None:
        call_id = call.facts.call_id
        try:
            audio = self._require_engine().call_audio(call_id)
        except Exception as exc:
            log.warning("call %s has no audio: %s", call_id, exc)
            return
        greeting = "" if self._closing else self.options.greeting
        overrides = {} if greeting is None else {"greeting": greeting}
        stack = self._new_stack()
        session = CallSession(
            stack,
            mode=CallMode.AUTONOMOUS,
            sink=audio.sink,
            config=ConversationConfig.from_settings(self.settings, **overrides),
            call_id=call_id,
            save_record=False,
        )
        session.events.subscribe(lambda event: self._on_engine_event(call, event))
        call.session, call.audio, call.stack = session, audio, stack
        assert self._loop is not None
        call.task = self._loop.create_task(self._run_call(call, session, stack, audio))

    def _on_engine_event(self, call: _Call, event: EngineEvent) -> None:
        call_id = call.facts.call_id
        if isinstance(event, BotSpeakingStarted):
            call.speaking = True
            _mark_frame_gap(call, f"turn {event.turn_id} until its first audio")
        elif isinstance(event, BotSpeakingStopped):
            call.speaking = False
            _mark_frame_gap(call, f"turn {event.turn_id} speaking")
        elif isinstance(event, TranscriptEvent) and event.speaker is Speaker.CALLER and event.final:
            call.answering = True
            log.info("call %s caller: %s", call_id, event.text)
        elif isinstance(event, TurnMetricsEvent):
            call.answering = False
            m = event.metrics
            log.info("call %s turn %d (%s): voice-to-voice %s ms; answer: %s",
                     call_id, m.turn_id, m.intent, m.voice_to_voice_ms, m.answer)
        elif isinstance(event, TransferRequested):
            self._transfer(call, event)
        elif isinstance(event, CallEnded):
            call.session_end_reason = event.reason

    def _transfer(self, call: _Call, event: TransferRequested) -> None:
        call_id = call.facts.call_id
        destination = self.options.transfer_to
        attempt = TransferAttempt(destination, event.at, event.said)
        call.facts.transfers.append(attempt)
        if not destination:
            attempt.error = "no transfer destination is configured"
            log.warning("call %s: the caller asked for a person, but no transfer destination is set", call_id)
            self._transfer_failed(call)
            return
        log.info("call %s: transferring to %s (%s)", call_id, destination, event.summary)
        loop = self._loop
        assert loop is not None

        def failed(error: BaseException) -> None:  # loop thread
            attempt.error, attempt.final = str(error), True
            log.error("call %s: transfer to %s failed: %s", call_id, destination, error)
            self._transfer_failed(call)

        def done(future: Future[None]) -> None:  # SIP thread
            error = future.exception()
            if error is not None:
                loop.call_soon_threadsafe(failed, error)

        self._require_engine().transfer(call_id, destination).add_done_callback(done)

    async def _run_call(self, call: _Call, session: CallSession, stack: VoiceStack, audio: CallAudio) -> None:
        call_id = call.facts.call_id
        try:
            _mark_frame_gap(call, "call set-up")
            try:
                await session.run(audio.frames())
            except Exception:
                log.exception("call %s: the session failed", call_id)
                call.session_end_reason = "error"
            if not call.facts.disconnected:
                if self._closing and call.session_end_reason == "shutdown" and not self._force:
                    await self._say_goodbye(call, stack, audio)
                await self._hang_up(call)
            _mark_frame_gap(call, "end of call")
            stats = audio.stats()
            report = call_report(
                session.recorder,
                call.facts,
                session_end_reason=call.session_end_reason,
                kb_name=self.kb_name,
                audio={
                    "frames_in": stats.frames_in,
                    "frames_out": stats.frames_out,
                    "max_frame_gap_ms": call.max_frame_gap_ms,
                    "frame_gaps": call.frame_gaps,
                    "bridge_callback_us_mean": round(stats.callback_us_mean, 1),
                },
            )
            try:
                path = write_report(self.calls_dir, call_id, report)
            except OSError as exc:
                log.error("call %s: could not write the call record: %s", call_id, exc)
            else:
                self._announce(f"earpiece agent: call {call_id} from {call.facts.remote_uri} ended "
                               f"({report['outcome']}); record: {path}")
        finally:
            self._drop_call(call_id)

    def _drop_call(self, call_id: str) -> None:
        """The call is over and recorded (or needs no record): forget it here and in the journal."""
        self._calls.pop(call_id, None)
        self._journal.ended(call_id)

    def _transfer_failed(self, call: _Call) -> None:
        """The caller was promised a colleague: say it did not work (the conversation goes on)."""
        if call.facts.disconnected or call.stack is None or call.audio is None or call.session is None:
            return
        assert self._loop is not None
        task = self._loop.create_task(self._say(call, call.stack, call.audio, self.options.no_transfer))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _say(self, call: _Call, stack: VoiceStack, audio: CallAudio, text: str) -> bool:
        """Speak `text` straight into the call's sink (outside the session's turns); noted in the record."""
        try:
            async for pcm in stack.tts.synthesize(normalize_for_speech(text)):
                audio.sink.write(pcm)
        except Exception as exc:
            call.facts.notes.append(f"not spoken ({text!r}): {type(exc).__name__}: {exc}")
            return False
        if call.session is not None:
            call.session.recorder.observe(TranscriptEvent(Speaker.ASSISTANT, text, True, time.monotonic()))
        return True

    async def _say_goodbye(self, call: _Call, stack: VoiceStack, audio: CallAudio) -> None:
        """Speak `options.goodbye` into the call (the session has already stopped)."""
        call.facts.shutdown_goodbye = True
        audio.sink.flush()  # a reply that outlasted the grace period is cut here
        if not await self._say(call, stack, audio, self.options.goodbye):
            return
        deadline = time.monotonic() + 15.0
        while audio.sink.pending_ms() > 0 and not call.facts.disconnected and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)
        await asyncio.sleep(0.3)  # the jitter buffer at the far end still holds the last words

    async def _hang_up(self, call: _Call) -> None:
        call_id = call.facts.call_id
        with contextlib.suppress(Exception):  # the call may be gone already
            await asyncio.wrap_future(self._require_engine().hangup(call_id))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(call.disconnected.wait(), 5.0)

    # -- shutdown ----------------------------------------------------------------------------------
    async def _shutdown(self) -> None:
        self._closing = True
        await asyncio.gather(*(self._end_call(call) for call in list(self._calls.values())))
        engine = self._engine
        if engine is not None and engine.running:
            try:
                removal = engine.remove_account(self.options.account.id)
                await asyncio.wait_for(asyncio.wrap_future(removal), 10)
                log.info("unregistered %s", self.options.account.id)
            except Exception as exc:
                log.warning("unregistering %s: %s", self.options.account.id, exc)

    async def _end_call(self, call: _Call) -> None:
        """Let a reply in progress finish (bounded), then goodbye and hang up (in `_run_call`)."""
        deadline = time.monotonic() + 3.0  # answered a moment ago: let it connect to hear the goodbye
        while call.task is None and not call.facts.disconnected and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)
        if call.task is None or call.session is None:  # still ringing (or gone)
            rejected = self._require_engine().reject(call.facts.call_id, RejectReason.BUSY)
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(rejected)
            self._drop_call(call.facts.call_id)
            return
        deadline = time.monotonic() + self.options.shutdown_grace_s
        while (call.speaking or call.answering) and not self._force and time.monotonic() < deadline:
            if call.task.done():
                break
            await asyncio.sleep(_POLL_S)
        call.session.stop("shutdown")
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(call.task), 30.0)

    async def _close(self) -> None:
        """Tear down in order: calls (done above), the SIP engine (pjsua2 last), the knowledge store."""
        for call in list(self._calls.values()):
            if call.task is not None and not call.task.done():
                call.task.cancel()
        gc.unfreeze()
        if self._engine is not None:
            await asyncio.to_thread(self._engine.stop)
            self._engine = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _mark_frame_gap(call: _Call, phase: str) -> None:
    """Close a stretch of the call: note its largest incoming frame gap and start a new one."""
    if call.audio is None:
        return
    gap = round(call.audio.stats().max_gap_ms, 1)
    call.audio.reset_max_gap()
    call.max_frame_gap_ms = max(call.max_frame_gap_ms, gap)
    since = call.facts.answered_at or call.facts.offered_at
    call.frame_gaps.append({"t": round(time.monotonic() - since, 2), "phase": phase, "max_gap_ms": gap})


def _log_failure(future: Future[None], what: str) -> None:
    """Log a SIP command's failure when it completes (the loop does not wait for it)."""

    def check(done: Future[None]) -> None:
        error = done.exception()
        if error is not None:
            log.warning("%s failed: %s", what, error)

    future.add_done_callback(check)
