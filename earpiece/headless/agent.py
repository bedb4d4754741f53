"""A phone line that answers itself: `earpiece agent` is the call controller
(`earpiece.core.calls.controller`) with a policy of answering every call on one account in
autonomous mode, joined to a SIP engine without a headset.

The asyncio loop (the main thread) runs the controller; the SIP engine runs on its own thread and
its events are handed to the loop with `call_soon_threadsafe`. Start-up: retention and the records
of calls an earlier process lost, the knowledge base and the voice models (warmed, heap frozen,
freed memory returned), then SIP and the registration. On SIGTERM / SIGINT (or `request_shutdown`)
the controller ends the calls politely (a second request: at once), the account is unregistered
and pjsua2 torn down last.

glibc's mmap threshold is left dynamic on purpose: fixed at 128 KB (or 1-4 MB) it kept the agent's
peak RSS lower (bench.memory, four calls: 443 MB with it, 825 without) but made every Piper sentence
allocate its tensors as fresh mappings, p50 first audio 339 -> 632 ms (the answer's first sentence
is on the caller's wait).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from earpiece.core.calls.controller import CallController
from earpiece.core.calls.events import CallRecorded, ControllerEvent
from earpiece.core.calls.memory import trim_native_memory
from earpiece.core.calls.policy import CallPolicy
from earpiece.core.calls.record_format import RecordSource
from earpiece.core.engine import VoiceStack
from earpiece.core.engine.factory import build_voice_stack, freeze_heap, warm_up
from earpiece.core.knowledge import KnowledgeReader, KnowledgeRetriever, RemoteReader, open_reader
from earpiece.core.settings import AccountSettings, CallMode, Settings
from earpiece.headless.sip_line import line_event
from earpiece.sip.accounts import registration_refused
from earpiece.sip.config import MAX_CALLS_PER_PROCESS
from earpiece.sip.config import EngineConfig as SipConfig
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import RegistrationChanged, RegistrationState, SipEvent

log = logging.getLogger(__name__)


class AgentError(RuntimeError):
    """The agent could not start (registration refused, knowledge base missing, SIP failure)."""


@dataclass(frozen=True, slots=True)
class AgentOptions:
    account: AccountSettings
    kb_name: str | None = None  # None: settings.knowledge.default_kb ("sample" is ingested if absent)
    transfer_to: str = ""  # where "I'd like to speak to a person" goes; "" = nowhere (apologised for)
    max_calls: int = MAX_CALLS_PER_PROCESS  # more simultaneous calls are refused with 486 Busy Here
    answer_delay_s: float = 0.0
    calls_dir: Path | None = None  # None: data_dir()/calls
    greeting: str | None = None  # None: the engine's default greeting
    # Load the voice and the knowledge base, then wait for "go" on stdin before starting SIP (the
    # supervisor's warm spare: it takes over a crashed agent's line in well under a second).
    standby: bool = False


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
        self.settings = settings
        self.options = options
        self.kb_name = options.kb_name or settings.knowledge.default_kb
        # The controller answers by itself; the engine's own auto-answer timer would race with it.
        self.account = options.account.model_copy(update={"auto_answer_s": None})
        self._password = password
        self._announce = announce
        self._engine = SipEngine(sip_config, password_lookup=lambda _account_id: password)
        self._retriever: KnowledgeRetriever | None = None
        policy = CallPolicy(
            source=RecordSource.AGENT, answer=True, account_id=self.account.id,
            answer_delay_s=options.answer_delay_s, max_calls=options.max_calls, mode=CallMode.AUTONOMOUS,
            knowledge_base=self.kb_name, transfer_to=options.transfer_to, greeting=options.greeting,
            calls_dir=options.calls_dir,
        )
        self.controller = CallController(settings, self._engine, self, policy, accounts=self._account)
        self.controller.events.subscribe(self._on_controller_event)
        self._reader: KnowledgeReader | RemoteReader | None = None
        self._stop = asyncio.Event()
        self._registration: RegistrationChanged | None = None
        self._registered: asyncio.Future[None] | None = None

    # -- public ------------------------------------------------------------------------------------
    def request_shutdown(self) -> None:
        """Finish politely (the first time) or at once (the second time). Loop thread only."""
        if self._stop.is_set():
            log.warning("second stop request: ending calls without waiting")
            self.controller.hurry()
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
                loop.add_signal_handler(sig, self.request_shutdown)
        try:
            for path in await self.controller.start():
                self._announce(f"earpiece agent: call lost in an earlier crash recorded: {path}")
            await self._prepare_voice()
            if self.options.standby and not await self._promoted():
                return  # stopped while standing by
            await self._start_sip()
            await self._register()
            self._announce(
                f"earpiece agent: registered as {self.account.username}@{self.account.domain}; answering "
                f"calls from knowledge base {self.kb_name!r} (SIGTERM or Ctrl+C to stop)"
            )
            await self._stop.wait()
            self._announce(f"earpiece agent: stopping ({self.controller.active_calls} call(s) in progress)")
            await self.controller.shutdown()
            await self._unregister()
        finally:
            await self._close()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
        self._announce("earpiece agent: stopped")

    async def new_stack(self, kb_name: str) -> VoiceStack:
        """The controller's `StackSource`: a stack over the agent's one knowledge base."""
        if self._retriever is None:
            raise AgentError("the knowledge base is not open yet")
        return build_voice_stack(self.settings, retriever=self._retriever)

    # -- start-up ----------------------------------------------------------------------------------
    def _account(self, account_id: str) -> AccountSettings | None:
        return self.account if account_id == self.account.id else None

    async def _prepare_voice(self) -> None:
        """Open the knowledge base (as a reader) and load the models before the first call arrives."""
        try:
            knowledge = self.settings.knowledge
            self._reader = await asyncio.to_thread(open_reader, self.kb_name, settings=knowledge)
        except Exception as exc:  # KnowledgeBaseNotFoundError names the known bases
            raise AgentError(f"knowledge base {self.kb_name!r}: {exc}") from exc
        self._retriever = KnowledgeRetriever(self._reader, self.kb_name)
        started = time.monotonic()
        await warm_up(await self.new_stack(self.kb_name))
        log.info("voice models ready in %.1f s", time.monotonic() - started)
        freeze_heap()
        trim_native_memory()  # what start-up allocated and freed again: ~150 MB (bench/memory)

    async def _promoted(self) -> bool:
        """Standby: wait for "go" on stdin (True) or a stop request / end of stdin (False)."""
        loop, fd, go = asyncio.get_running_loop(), sys.stdin.fileno(), asyncio.Event()
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

    async def _start_sip(self) -> None:
        await asyncio.to_thread(self._engine.start)
        order = self.settings.sip.codec_order  # as the desktop applies it (desktop/engine_audio.py)
        try:
            await asyncio.wrap_future(self._engine.set_codec_order(order))
        except ValueError as exc:
            raise AgentError(f"sip.codec_order {order}: {exc}") from exc
        loop = asyncio.get_running_loop()

        def hand_over(event: SipEvent) -> None:  # SIP thread
            with contextlib.suppress(RuntimeError):  # the loop is closed: shutting down
                loop.call_soon_threadsafe(self._on_sip_event, event)

        self._engine.subscribe(hand_over)
        ip, port = self._engine.local_address()
        log.info("SIP engine listening on %s:%d", ip, port)

    async def _register(self) -> None:
        """Add the account and wait until it is registered, refused, or the time is up."""
        account, timeout = self.account, self.settings.calls.registration_timeout_s
        self._registered = asyncio.get_running_loop().create_future()
        await asyncio.wrap_future(self._engine.add_account(account, self._password))
        if not account.registration:
            return
        stop = asyncio.ensure_future(self._stop.wait())
        waiters: list[asyncio.Future[Any]] = [self._registered, stop]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if self._registered.done():
            self._registered.result()  # AgentError when refused
            return
        change = self._registration
        reason = change.reason if change is not None else "no answer from the registrar"
        raise AgentError(f"{account.id} did not register within {timeout:g} s: {reason}")

    # -- events (loop thread) ----------------------------------------------------------------------
    def _on_sip_event(self, event: SipEvent) -> None:
        if isinstance(event, RegistrationChanged) and event.account_id == self.account.id:
            self._on_registration(event)
            return
        change = line_event(event)
        if change is not None:
            self.controller.handle(change)

    def _on_registration(self, event: RegistrationChanged) -> None:
        self._registration = event
        log.info("registration: %s (%s)", event.state, event.reason)
        waiter = self._registered
        if waiter is None or waiter.done():
            return
        if event.state is RegistrationState.REGISTERED:
            waiter.set_result(None)
        elif registration_refused(event):
            waiter.set_exception(AgentError(f"registration of {event.account_id} refused: {event.reason}"))

    def _on_controller_event(self, event: ControllerEvent) -> None:
        if isinstance(event, CallRecorded):
            self._announce(f"earpiece agent: call {event.call_id} from {event.remote_uri} ended "
                           f"({event.outcome}); record: {event.path}")

    # -- shutdown ----------------------------------------------------------------------------------
    async def _unregister(self) -> None:
        if not self._engine.running:
            return
        try:
            removal = self._engine.remove_account(self.account.id)
            await asyncio.wait_for(asyncio.wrap_future(removal), self.settings.calls.unregister_timeout_s)
            log.info("unregistered %s", self.account.id)
        except Exception as exc:
            log.warning("unregistering %s: %s", self.account.id, exc)

    async def _close(self) -> None:
        """Tear down in order: the SIP engine (pjsua2 last; it unfreezes the heap), the knowledge store."""
        await self.controller.stop_all()
        if self._engine.running:
            await asyncio.to_thread(self._engine.stop)
        if self._reader is not None:
            self._reader.close()
            self._reader = None
