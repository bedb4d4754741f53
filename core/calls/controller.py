"""One call controller for the desktop and `earpiece agent` (baresip's shape: the phone line's
events come in, voice sessions run, the controller's events go out to whoever shows the calls).

Per call:

    offered -> answered (by the controller when its policy says so, else by the user) -> connected
      -> a voice session in the call's mode: a change of mode is the session's own switch (no
         turn lost); a change of knowledge base, or AI turned back on, starts a new session
      -> transfer (with an apology when it fails) / hang-up -> one JSON record

The call's record (`CallRecorder`) is the controller's: made with the first session, handed to
every session of the call (they add to it, on its clock, and never save it) and written by the
controller when the call is over (or goes on without a session).

Everything runs on one asyncio loop; the line's events must be handed to it (`handle`). The
controller is given its line (`CallLine`) and where voice stacks come from (`StackSource`), so its
transfer and shutdown logic runs in tests without SIP peers.

`shutdown()` (the agent's SIGTERM): new calls are refused as busy, a reply in progress may finish
(`calls.shutdown_grace_s`), then each caller hears `calls.goodbye` and is hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from earpiece.core.analytics.records import CallArchive
from earpiece.core.analytics.retention import apply_retention
from earpiece.core.analytics.stored_summary import store_summary_after_call
from earpiece.core.calls.active_call import ActiveCall
from earpiece.core.calls.events import (
    CallProblem,
    CallRecorded,
    ControllerEvents,
    SessionEvent,
    SessionStarted,
    TransferChanged,
    TransferStatus,
)
from earpiece.core.calls.journal import CallJournal, recover_lost_calls
from earpiece.core.calls.line import (
    CallConnected,
    CallDisconnected,
    CallLine,
    CallOffered,
    CodecChosen,
    DigitPressed,
    LineEvent,
    TransferUpdate,
)
from earpiece.core.calls.memory import release_memory_after_call
from earpiece.core.calls.policy import CallPolicy, StackSource
from earpiece.core.calls.record_format import AI_UNAVAILABLE, CallFacts, TransferAttempt
from earpiece.core.calls.waiting import first_done, log_failure
from earpiece.core.engine import (
    BotSpeakingStarted,
    BotSpeakingStopped,
    CallEnded,
    CallRecorder,
    EngineEvent,
    ModeChanged,
    Speaker,
    TranscriptEvent,
    TransferRequested,
    TurnMetricsEvent,
    calls_dir,
)
from earpiece.core.engine.factory import create_session
from earpiece.core.settings import AccountSettings, CallMode, Settings

log = logging.getLogger(__name__)

# Session end reasons after which the call goes on with a new session (or none, for mode off).
RESTART = frozenset({"mode off", "knowledge base changed"})
# Session end reasons after which the controller hangs the call up.
HANG_UP = frozenset({"hangup_requested", "shutdown", "error"})


class CallController:
    def __init__(
        self,
        settings: Settings,
        line: CallLine,
        stacks: StackSource,
        policy: CallPolicy | None = None,
        *,
        accounts: Callable[[str], AccountSettings | None] | None = None,
    ) -> None:
        """`accounts` finds an account by id (default: among `settings.sip.accounts`)."""
        self.settings = settings
        self.line = line
        self.stacks = stacks
        self.policy = policy or CallPolicy()
        self.calls_dir = self.policy.calls_dir or calls_dir()
        self.events = ControllerEvents()
        self._accounts = accounts or self._settings_account
        self._calls: dict[str, ActiveCall] = {}
        self._wanted: dict[str, tuple[CallMode | None, str | None]] = {}  # set before the call is seen
        self._journal = CallJournal(self.calls_dir)
        self._tasks: set[asyncio.Task[Any]] = set()  # referenced until done (asyncio keeps weak refs)
        self._closing = False
        self._hurry = asyncio.Event()
        self._retention_at: float | None = None  # loop time the retention period was last applied
        self._retention: asyncio.Task[list[str]] | None = None

    # -- public (loop thread) ----------------------------------------------------------------------
    async def start(self) -> list[Path]:
        """Apply the retention period and write the records of calls an earlier process lost in a
        crash (returned)."""
        await self._apply_retention()
        return await asyncio.to_thread(recover_lost_calls, self.calls_dir, "an earlier process ended")

    @property
    def active_calls(self) -> int:
        return len(self._calls)

    def handle(self, event: LineEvent) -> None:
        """A line event, on the loop thread."""
        if isinstance(event, CallOffered):
            self._offered(event)
            return
        if isinstance(event, CallConnected):
            self._connected(event)
            return
        call = self._calls.get(event.call_id)
        if call is None:
            if isinstance(event, CallDisconnected):
                self._wanted.pop(event.call_id, None)  # a call that never connected here
            return
        if isinstance(event, CallDisconnected):
            self._disconnected(call, event)
        elif isinstance(event, CodecChosen) and event.codec:
            call.facts.codec = event.codec
        elif isinstance(event, DigitPressed) and call.session is not None:
            call.session.press_dtmf(event.digit)
        elif isinstance(event, TransferUpdate) and call.facts.transfers:
            self._transfer_update(call, event)

    def set_mode(self, call_id: str, mode: CallMode) -> None:
        """The call's mode from now on: the running session switches (what the caller said and the
        old mode had not dealt with is taken over); mode off ends the session, the call goes on."""
        call = self._calls.get(call_id)
        if call is None:
            self._wanted[call_id] = (mode, self._wanted.get(call_id, (None, None))[1])
            return
        call.mode = mode
        session = call.session
        if session is None:
            self._maybe_start(call)  # a session being set up reads `call.mode` once it is ready
        elif mode is CallMode.OFF:
            session.stop("mode off")
        else:
            session.switch_mode(mode)  # ModeChanged reaches the record and the subscribers

    def set_knowledge_base(self, call_id: str, name: str) -> None:
        """This call only: a session on another knowledge base is restarted on `name`."""
        call = self._calls.get(call_id)
        if call is None:
            self._wanted[call_id] = (self._wanted.get(call_id, (None, None))[0], name)
            return
        if call.knowledge_base != name:
            call.knowledge_base = name
            call.facts.knowledge_base = name
            if call.session is not None:
                call.session.stop("knowledge base changed")

    def stop_all(self) -> asyncio.Future[list[object]]:
        """End every session now (the desktop quits; the calls are left to the line). Await the
        result to know their records are written."""
        tasks = [call.task for call in self._calls.values() if call.task is not None]
        for call in self._calls.values():
            if call.session is not None:
                call.session.stop("stopped")
        return asyncio.gather(*tasks, return_exceptions=True)

    def hurry(self) -> None:
        """A second stop request: end the calls without waiting for replies or goodbyes."""
        self._hurry.set()

    async def shutdown(self) -> None:
        """Refuse new calls; let replies in progress finish, say goodbye, hang up; records written."""
        self._closing = True
        await asyncio.gather(*(self._end_call(call) for call in list(self._calls.values())))

    # -- line events -------------------------------------------------------------------------------
    def _ours(self, account_id: str) -> bool:
        return self.policy.account_id is None or account_id == self.policy.account_id

    def _settings_account(self, account_id: str) -> AccountSettings | None:
        return next((a for a in self.settings.sip.accounts if a.id == account_id), None)

    def _new_call(self, call_id: str, account_id: str, remote_uri: str) -> ActiveCall:
        account = self._accounts(account_id)
        wanted_mode, wanted_kb = self._wanted.pop(call_id, (None, None))
        default_mode = account.default_mode if account else self.settings.ui.default_mode
        mode = wanted_mode or self.policy.mode or default_mode
        kb = (wanted_kb or self.policy.knowledge_base or (account.knowledge_base if account else "")
              or self.settings.knowledge.default_kb)
        facts = CallFacts(call_id, source=self.policy.source, account_id=account_id, remote_uri=remote_uri,
                          knowledge_base=kb)
        call = ActiveCall(facts, mode, kb)
        self._calls[call_id] = call
        return call

    def _offered(self, event: CallOffered) -> None:
        if not self._ours(event.account_id) or event.call_id in self._calls:
            return
        limit = self.policy.max_calls
        if self._closing or (limit is not None and len(self._calls) >= limit):
            why = "shutting down" if self._closing else f"{len(self._calls)} calls in progress"
            log.info("refusing call %s (%s)", event.call_id, why)
            log.debug("call %s was from %s", event.call_id, event.remote_uri)
            log_failure(self.line.reject(event.call_id), f"reject {event.call_id}")
            return
        call = self._new_call(event.call_id, event.account_id, event.remote_uri)
        call.facts.display_name, call.facts.offered_at = event.display_name, event.at
        self._journal.offered(call.facts)
        if self.policy.answer:
            log.info("call %s: answering", event.call_id)
            log.debug("call %s is from %s", event.call_id, event.remote_uri)
            asyncio.get_running_loop().call_later(
                self.policy.answer_delay_s,
                lambda: log_failure(self.line.answer(event.call_id), f"answer {event.call_id}"),
            )

    def _connected(self, event: CallConnected) -> None:
        call = self._calls.get(event.call_id)
        if call is None:
            if not self._ours(event.account_id):
                return
            call = self._new_call(event.call_id, event.account_id, event.remote_uri)  # outgoing
            self._journal.offered(call.facts)
        if call.connected.is_set():
            return
        call.facts.answered_at = event.at
        call.facts.remote_uri = event.remote_uri or call.facts.remote_uri
        call.connected.set()
        self._journal.answered(call.facts)
        self._maybe_start(call)  # even when closing: the caller then hears the goodbye

    def _disconnected(self, call: ActiveCall, event: CallDisconnected) -> None:
        facts = call.facts
        facts.disconnected = True
        facts.sip_end_code, facts.sip_end_reason, facts.ended_stale = event.code, event.reason, event.stale
        call.disconnected.set()
        if call.session is not None:
            call.session.stop("remote")
        elif call.task is None:  # no session running: ended before it was answered, or mode off
            log.info("call %s ended: %s", call.call_id, event.reason)
            self._finish(call)

    # -- sessions ----------------------------------------------------------------------------------
    def _maybe_start(self, call: ActiveCall) -> None:
        connected = call.connected.is_set() and not call.disconnected.is_set()
        if connected and call.task is None and call.mode is not CallMode.OFF:
            call.task = self._spawn(self._run_call(call))

    async def _run_call(self, call: ActiveCall) -> None:
        """Sessions until the call ends (a new one after a change of knowledge base), then
        the hang-up if the session asked for it, and the record."""
        try:
            call.mark_frame_gap("call set-up")
            while True:
                await self._run_session(call)
                again = call.end_reason in RESTART and not call.disconnected.is_set()
                if not again or call.mode is CallMode.OFF:
                    break
            if self._hangs_up(call) and not call.disconnected.is_set():
                await self._hang_up(call)
            call.mark_frame_gap("end of call")
        finally:
            call.task = None
            if call.disconnected.is_set() or self._hangs_up(call):
                self._finish(call)
            else:  # the call goes on without a session (mode off, AI unavailable, the desktop quits)
                self._write_record(call)

    def _hangs_up(self, call: ActiveCall) -> bool:
        """The session asked for the hang-up, or the call has no AI and the controller answered it
        (nobody else is on it); a person who answered goes on without the AI."""
        return call.end_reason in HANG_UP or (call.end_reason == AI_UNAVAILABLE and self.policy.answer)

    def _recorder(self, call: ActiveCall) -> CallRecorder:
        """The call's record, made with its first session (or its failure to start)."""
        if call.recorder is None:
            call.recorder = CallRecorder(call.call_id, str(call.mode))
            call.recorder.facts, call.recorder.folder = call.facts, self.calls_dir
        return call.recorder

    async def _run_session(self, call: ActiveCall) -> None:
        call_id = call.call_id
        try:
            stack = await self.stacks.new_stack(call.knowledge_base)
            media = call.media = call.media or self.line.call_audio(call_id)
        except Exception as exc:  # models or knowledge base unavailable, the call's audio gone
            log.error("call %s: no voice session: %s", call_id, exc)
            self.events.publish(CallProblem(call_id, f"AI unavailable: {exc}"))
            self._recorder(call)  # the call is recorded with why it had no AI
            call.facts.notes.append(f"AI unavailable: {type(exc).__name__}: {exc}")
            call.end_reason = AI_UNAVAILABLE
            return
        if call.disconnected.is_set() or call.mode is CallMode.OFF:  # while the stack was made
            call.end_reason = "remote" if call.disconnected.is_set() else "mode off"
            return
        mode, recorder = call.mode, self._recorder(call)
        # The caller is greeted once per call, not again when a session is started mid-call.
        greeting = "" if self._closing or call.sessions_started else self.policy.greeting
        whisper = self.settings.ui.whisper_to_agent  # for copilot, now or after a switch
        session = create_session(
            self.settings, stack, mode=mode, sink=media.sink,
            agent_sink=media.agent.sink if whisper else None, call_id=call_id, recorder=recorder,
            **({} if greeting is None else {"greeting": greeting}),
        )
        call.session, call.end_reason = session, "remote"
        call.sessions_started += 1
        session.events.subscribe(lambda event: self._on_session_event(call, session.mode, event))
        self.events.publish(SessionStarted(call_id, mode))
        call.running.set()
        try:
            # The agent's headset too: copilot transcribes it, also after a switch from autonomous.
            await session.run(media.frames(), media.agent.frames())
        except Exception:
            log.exception("call %s: the session failed", call_id)
            call.end_reason = "error"
        finally:
            call.session, call.speaking, call.answering = None, False, False
            call.running.clear()
            call.update_idle()

    def _on_session_event(self, call: ActiveCall, mode: CallMode, event: EngineEvent) -> None:
        if isinstance(event, BotSpeakingStarted):
            call.speaking = True
            call.mark_frame_gap(f"turn {event.turn_id} until its first audio")
        elif isinstance(event, BotSpeakingStopped):
            call.speaking = False
            call.mark_frame_gap(f"turn {event.turn_id} speaking")
        elif isinstance(event, TranscriptEvent) and event.final and event.speaker is Speaker.CALLER:
            call.answering = mode is CallMode.AUTONOMOUS
            log.info("call %s turn %d: the caller said %s", call.call_id, event.turn_id, _size(event.text))
            log.debug("call %s turn %d: the caller said %r", call.call_id, event.turn_id, event.text)
        elif isinstance(event, TurnMetricsEvent):
            call.answering = False
            m = event.metrics
            log.info("call %s turn %d (%s): voice-to-voice %s ms; confidence %s; answer of %s",
                     call.call_id, m.turn_id, m.intent, m.voice_to_voice_ms, m.confidence, _size(m.answer))
            log.debug("call %s turn %d: answer %r", call.call_id, m.turn_id, m.answer)
        elif isinstance(event, TransferRequested):
            self._transfer(call, event)
        elif isinstance(event, ModeChanged):
            # Autonomous answers the questions copilot left open; copilot speaks nothing into the call.
            call.answering = mode is CallMode.AUTONOMOUS and bool(event.handed_over)
            log.info("call %s: now in %s mode (took over turns %s)", call.call_id, event.mode,
                     list(event.handed_over))
        elif isinstance(event, CallEnded):
            call.end_reason = event.reason
        call.update_idle()
        self.events.publish(SessionEvent(call.call_id, mode, event))

    # -- transfer ----------------------------------------------------------------------------------
    def _destination(self, call: ActiveCall) -> str:
        if self.policy.transfer_to is not None:
            return self.policy.transfer_to
        account = self._accounts(call.facts.account_id)
        return account.handover_uri if account is not None else ""

    def _transfer(self, call: ActiveCall, event: TransferRequested) -> None:
        """The caller asked for a person (autonomous sessions only): to the transfer destination."""
        destination = self._destination(call)
        attempt = TransferAttempt(destination, event.at, event.said)
        call.facts.transfers.append(attempt)
        if not destination:
            attempt.error = "no transfer destination is configured"
            self._transfer_failed(call, attempt)
            return
        log.info("call %s: transferring to %s (%s)", call.call_id, destination, event.reason)
        log.debug("call %s: transfer summary %r", call.call_id, event.summary)
        self._tell(call, TransferStatus.STARTED, destination, event.summary)
        loop = asyncio.get_running_loop()

        def sent(future: Future[None]) -> None:  # SIP thread
            error = future.exception()
            if error is not None:
                loop.call_soon_threadsafe(self._transfer_not_sent, call, attempt, error)

        self.line.transfer(call.call_id, destination).add_done_callback(sent)

    def _tell(self, call: ActiveCall, status: TransferStatus, destination: str, detail: str) -> None:
        self.events.publish(TransferChanged(call.call_id, status, destination, detail))

    def _transfer_not_sent(self, call: ActiveCall, attempt: TransferAttempt, error: BaseException) -> None:
        attempt.error, attempt.final = str(error), True
        self._transfer_failed(call, attempt)

    def _transfer_update(self, call: ActiveCall, event: TransferUpdate) -> None:
        attempt = call.facts.transfers[-1]
        if attempt.final:
            return
        attempt.code, attempt.final = event.code, event.final
        log.info("call %s: transfer %s %d %s", call.call_id, "ended" if event.final else "progress",
                 event.code, event.reason)
        if attempt.succeeded:
            self._tell(call, TransferStatus.SUCCEEDED, attempt.destination, "")
        elif event.final:
            attempt.error = attempt.error or f"{event.code} {event.reason}".strip()
            self._transfer_failed(call, attempt)

    def _transfer_failed(self, call: ActiveCall, attempt: TransferAttempt) -> None:
        """The caller was promised a colleague: say it did not work (the conversation goes on)."""
        log.warning("call %s: transfer to %r failed: %s", call.call_id, attempt.destination, attempt.error)
        self._tell(call, TransferStatus.FAILED, attempt.destination, attempt.error)
        self._spawn(self._say(call, self.settings.calls.no_transfer))

    async def _say(self, call: ActiveCall, text: str) -> bool:
        """Speak `text` into the call through its session (False: no session, or it failed)."""
        session = call.session
        if session is None or session.mode is not CallMode.AUTONOMOUS or call.disconnected.is_set():
            return False
        try:
            await session.say(text)
        except Exception as exc:
            call.facts.notes.append(f"not spoken ({text!r}): {type(exc).__name__}: {exc}")
            return False
        return True

    # -- ending ------------------------------------------------------------------------------------
    async def _hang_up(self, call: ActiveCall) -> None:
        timeout = self.settings.calls.hangup_timeout_s
        with contextlib.suppress(Exception):  # the call may be gone already
            await asyncio.wait_for(asyncio.wrap_future(self.line.hangup(call.call_id)), timeout)
        await first_done(call.disconnected.wait(), timeout=timeout)

    async def _end_call(self, call: ActiveCall) -> None:
        """Shutdown of one call: let it connect (bounded), let a reply in progress finish (bounded),
        say goodbye, then stop the session (`_run_call` hangs up and writes the record)."""
        limits = self.settings.calls
        if not call.connected.is_set():  # answered a moment ago: let it connect to hear the goodbye
            await first_done(call.connected.wait(), call.disconnected.wait(), timeout=limits.connect_wait_s)
        task = call.task
        if task is None:  # still ringing, gone, or no session (mode off)
            if not call.connected.is_set() and not call.disconnected.is_set():
                with contextlib.suppress(Exception):
                    await asyncio.wrap_future(self.line.reject(call.call_id))
                self._drop(call)
            return
        await first_done(call.running.wait(), asyncio.shield(task), timeout=limits.connect_wait_s)
        if not self._hurry.is_set():
            await first_done(call.idle.wait(), self._hurry.wait(), asyncio.shield(task),
                         timeout=limits.shutdown_grace_s)
        # A reply that outlasted the grace is cut by the hang-up, without a goodbye.
        if call.idle.is_set() and not self._hurry.is_set() and call.session is not None and not task.done():
            call.facts.shutdown_goodbye = True
            await first_done(self._goodbye(call), self._hurry.wait(), timeout=limits.goodbye_timeout_s)
        if call.session is not None:
            call.session.stop("shutdown")
        await first_done(asyncio.shield(task), timeout=limits.session_end_timeout_s)

    async def _goodbye(self, call: ActiveCall) -> None:
        if await self._say(call, self.settings.calls.goodbye):
            await asyncio.sleep(self.settings.calls.far_end_tail_s)

    def _finish(self, call: ActiveCall) -> None:
        """The call is over: its record, then its summary (in the background), then forget it and
        give the memory its session freed back to the system."""
        path = self._write_record(call)
        if path is not None:
            outcome = call.facts.outcome(call.end_reason)
            self.events.publish(CallRecorded(call.call_id, call.facts.remote_uri, outcome, path))
            store_summary_after_call(path, self.settings)
        self._drop(call)
        self._spawn(release_memory_after_call())
        self._retention_due()

    def _retention_due(self) -> None:
        """A long-running controller (the agent, a desktop left open) deletes calls that grew older
        than the retention period: after a call ends (its record written), at most every
        `policy.retention_every_s`, one pass at a time."""
        last, now = self._retention_at, asyncio.get_running_loop().time()
        running = self._retention is not None and not self._retention.done()
        if not running and (last is None or now - last >= self.policy.retention_every_s):
            self._retention = self._spawn(self._apply_retention())

    async def _apply_retention(self) -> list[str]:
        """In a thread: it reads every record's start time and deletes files."""
        self._retention_at = asyncio.get_running_loop().time()
        return await asyncio.to_thread(apply_retention, self.settings, CallArchive(self.calls_dir))

    def _write_record(self, call: ActiveCall) -> Path | None:
        """Write the call's record (its sessions never do): one file per call, rewritten when a call
        that went on without a session (mode off) ends."""
        if call.recorder is None:
            return None  # no session ever ran: nothing was said
        call.note_audio()
        try:
            path = call.recorder.save(call.end_reason)
        except OSError as exc:
            log.error("call %s: could not write the call record: %s", call.call_id, exc)
            self.events.publish(CallProblem(call.call_id, f"the call record could not be written: {exc}"))
            return None
        return path

    def _drop(self, call: ActiveCall) -> None:
        """The call is over and recorded (or needs no record): forget it here and in the journal."""
        if self._calls.get(call.call_id) is call:
            del self._calls[call.call_id]
        self._journal.ended(call.call_id)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _size(text: str) -> str:
    """How much was said, without what: caller's words and answers are personal and the log outlives
    the call (it is rotated by size, not deleted with the call or by the retention period)."""
    return f"{len(text.split())} words ({len(text)} characters)"
