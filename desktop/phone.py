"""The phone as the window sees it: starts the SIP engine off the GUI thread, keeps a `CallView`
per call from the engine's events (queued into Qt by `SipBridge`), and turns button presses into
engine commands whose failures come back as readable messages."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from earpiece.core import secrets
from earpiece.core.settings import AccountSettings, CallMode, Settings, SettingsStore, Transport
from earpiece.desktop.call_view import CallView
from earpiece.desktop.plain_words import command_problem_text, device_problem_text
from earpiece.desktop.sip_bridge import SipBridge
from earpiece.desktop.tasks import spawn
from earpiece.sip.config import EngineConfig
from earpiece.sip.engine import SipEngine, SipError
from earpiece.sip.events import (
    AudioDeviceProblem,
    CallDirection,
    CallMediaChanged,
    CallState,
    CallStateChanged,
    DtmfReceived,
    IncomingCall,
    IncomingCallRejected,
    RegistrationChanged,
    RegistrationState,
    RejectReason,
    SipEvent,
    TransferProgress,
    TransferRequestRejected,
)
from earpiece.sip.records import CallRecord

log = logging.getLogger(__name__)


class Phone(QObject):
    started = Signal()
    registration_changed = Signal(str, str, str)  # account id, RegistrationState value, reason
    incoming_call = Signal(object)  # CallView
    call_changed = Signal(object)  # CallView (any change, including the first sight of a call)
    call_answered = Signal(object)  # CallView, once, when it is connected
    call_ended = Signal(object)  # CallView
    dtmf_received = Signal(str, str)  # call id, digit
    message = Signal(str)  # something the user should read (errors included)

    def __init__(self, store: SettingsStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings_store = store
        self.engine: SipEngine | None = None
        self.calls: dict[str, CallView] = {}
        self.registrations: dict[str, tuple[RegistrationState, str]] = {}
        self.accounts: dict[str, AccountSettings] = {}
        self.bridge = SipBridge(self)
        self.bridge.received.connect(self._on_event)
        self._unsubscribe: Callable[[], None] | None = None
        self.stopped = False  # from the first step of `stop` until the next `start`: no call is up

    # -- life cycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the SIP engine in a worker thread and add the configured accounts."""
        self.stopped = False
        self.engine = await asyncio.to_thread(self._start_engine, EngineConfig.from_settings(self.settings))
        self._unsubscribe = self.engine.subscribe(self.bridge.deliver)
        for account in self.settings.sip.accounts:
            await self.add_account(account)
        self.started.emit()

    def _start_engine(self, config: EngineConfig) -> SipEngine:
        try:
            engine = SipEngine(config)
            engine.start()
            return engine
        except SipError as exc:
            if config.udp_port == 0:
                raise
            # Most often the port is taken (another softphone): listen on free ports instead.
            fallback = replace(config, udp_port=0, tcp_port=0 if config.tcp_port is not None else None,
                               tls_port=0 if config.tls_port is not None else None)
            engine = SipEngine(fallback)
            engine.start()
            self.message.emit(f"SIP port {config.udp_port} unavailable ({exc}); listening on "
                              f"port {engine.local_address()[1]} instead.")
            return engine

    async def stop(self) -> None:
        self.stopped = True
        engine, self.engine = self.engine, None
        if self._unsubscribe is not None:
            self._unsubscribe()
        if engine is not None:
            await asyncio.to_thread(engine.stop)
        self.calls.clear()

    async def add_account(self, account: AccountSettings, password: str | None = None) -> bool:
        """Add an account; a missing password shows as a failed registration with the reason."""
        assert self.engine is not None
        try:
            secret = password if password is not None else secrets.get_secret(f"sip:{account.id}")
            await asyncio.wrap_future(self.engine.add_account(account, secret))
        except (SipError, secrets.SecretMissingError, secrets.SecretStoreUnavailableError, ValueError) as exc:
            self._registration(account.id, RegistrationState.FAILED, str(exc))
            return False
        self.accounts[account.id] = account
        if not account.registration:
            self._registration(account.id, RegistrationState.UNREGISTERED, "no registration (direct calls)")
        return True

    async def remove_account(self, account_id: str) -> None:
        if self.engine is not None and account_id in self.accounts:
            await asyncio.wrap_future(self.engine.remove_account(account_id))
        self.accounts.pop(account_id, None)
        self.registrations.pop(account_id, None)
        self.registration_changed.emit(account_id, "removed", "")

    @property
    def settings(self) -> Settings:
        """The settings in use (the store's: replaced, never changed in place)."""
        return self.settings_store.current

    async def apply_accounts(self, settings: Settings) -> None:
        """New settings from the dialog: accounts are added, updated or removed; calls go on."""
        old = self.accounts
        wanted = {a.id: a for a in settings.sip.accounts}
        for account_id in set(old) - set(wanted):
            if account_id != DEMO_ACCOUNT_ID:
                await self.remove_account(account_id)
        for account_id, account in wanted.items():
            if account_id not in old:
                await self.add_account(account)
            elif account != old[account_id] and self.engine is not None:
                try:
                    await asyncio.wrap_future(self.engine.update_account(account))
                    self.accounts[account_id] = account
                except (SipError, secrets.SecretMissingError, secrets.SecretStoreUnavailableError) as exc:
                    self._registration(account_id, RegistrationState.FAILED, str(exc))

    def local_sip_address(self) -> tuple[str, int]:
        assert self.engine is not None
        _host, port = self.engine.local_address(Transport.UDP)
        bind = self.settings.sip.bind_address
        return ("127.0.0.1" if bind in ("", "0.0.0.0") else bind), port

    # -- commands (from buttons and shortcuts) ---------------------------------------------------
    def dial(self, account_id: str, destination: str) -> None:
        self._command("Call", lambda e: e.make_call(account_id, destination))

    def answer(self, call_id: str) -> None:
        self._command("Answer", lambda e: e.answer(call_id))

    def reject(self, call_id: str) -> None:
        self._command("Reject", lambda e: e.reject(call_id, RejectReason.DECLINE))

    def hangup(self, call_id: str) -> None:
        self._command("Hang up", lambda e: e.hangup(call_id))

    def set_hold(self, call_id: str, held: bool) -> None:
        self._command("Hold" if held else "Resume", lambda e: e.hold(call_id) if held else e.resume(call_id))

    def set_mute(self, call_id: str, muted: bool) -> None:
        def done() -> None:
            if call_id in self.calls:
                self.calls[call_id].muted = muted
                self.call_changed.emit(self.calls[call_id])

        self._command("Mute", lambda e: e.set_mute(call_id, muted), done)

    def send_dtmf(self, call_id: str, digits: str) -> None:
        self._command("DTMF", lambda e: e.send_dtmf(call_id, digits))

    def transfer(self, call_id: str, destination: str) -> None:
        self._command("Transfer", lambda e: e.transfer(call_id, destination))

    def attended_transfer(self, call_id: str, target_call_id: str) -> None:
        self._command("Attended transfer", lambda e: e.attended_transfer(call_id, target_call_id))

    def set_mode(self, call_id: str, mode: CallMode) -> None:
        call = self.calls.get(call_id)
        if call is not None and call.mode is not mode:
            call.mode = mode
            self.call_changed.emit(call)

    def set_audio_devices(self, input_device: str, output_device: str) -> None:
        """Move the headset to these devices now, live calls included."""
        self._command("Switching the headset", lambda e: e.set_audio_devices(input_device, output_device),
                      lambda: self.message.emit("Headset devices switched."))

    def test_registration(self, account_id: str) -> None:
        """REGISTER again now; the answer arrives as a registration change (shown per account)."""
        self._registration(account_id, RegistrationState.REGISTERING, "testing the registration…")
        self._command("Registration test", lambda e: e.register(account_id, True))

    def set_knowledge_base(self, call_id: str, name: str) -> None:
        """This call only; an AI session already running restarts on the new knowledge base."""
        call = self.calls.get(call_id)
        if call is not None and call.knowledge_base != name:
            call.knowledge_base = name
            self.call_changed.emit(call)

    def history(self, limit: int = 200) -> list[CallRecord]:
        return self.engine.history.load(limit) if self.engine is not None else []

    def _command(self, what: str, run: Callable[[SipEngine], Future[Any]],
                 done: Callable[[], None] | None = None) -> None:
        if self.engine is None:
            self.message.emit(f"{what}: the phone is not ready yet.")
            return
        try:
            future = run(self.engine)
        except (SipError, ValueError) as exc:
            self.message.emit(f"{what} failed: {exc}")
            return
        spawn(self._finish(what, future, done))

    async def _finish(self, what: str, future: Future[Any], done: Callable[[], None] | None) -> None:
        try:
            await asyncio.wrap_future(future)
        except Exception as exc:  # SipError, UnknownCallError, EngineNotRunningError: tell the user
            log.info("%s failed: %s", what, exc)
            self.message.emit(f"{what} failed: {command_problem_text(str(exc))}")
            return
        if done is not None:
            done()

    # -- events (GUI thread) ---------------------------------------------------------------------
    def _registration(self, account_id: str, state: RegistrationState, reason: str) -> None:
        self.registrations[account_id] = (state, reason)
        self.registration_changed.emit(account_id, state.value, reason)

    def default_mode(self, account_id: str) -> CallMode:
        account = self.accounts.get(account_id)
        return account.default_mode if account is not None else self.settings.ui.default_mode

    def knowledge_base(self, account_id: str) -> str:
        account = self.accounts.get(account_id)
        return (account.knowledge_base if account is not None else "") or self.settings.knowledge.default_kb

    def _view(self, call_id: str, account_id: str, direction: CallDirection, remote_uri: str) -> CallView:
        call = self.calls.get(call_id)
        if call is None:
            call = CallView(call_id, account_id, direction, remote_uri, mode=self.default_mode(account_id),
                            knowledge_base=self.knowledge_base(account_id))
            self.calls[call_id] = call
        return call

    def _on_event(self, event: SipEvent) -> None:
        if self.stopped:  # still queued from the engine that stopped
            return
        if isinstance(event, RegistrationChanged):
            self._registration(event.account_id, event.state, event.reason)
        elif isinstance(event, IncomingCall):
            call = self._view(event.call_id, event.account_id, CallDirection.INBOUND, event.remote_uri)
            call.display_name = event.display_name
            call.state = CallState.INCOMING
            self.incoming_call.emit(call)
            self.call_changed.emit(call)
        elif isinstance(event, CallStateChanged):
            self._call_state(event)
        elif isinstance(event, CallMediaChanged) and event.call_id in self.calls:
            call = self.calls[event.call_id]
            call.media, call.codec = event.status, event.codec
            self.call_changed.emit(call)
        elif isinstance(event, DtmfReceived):
            self.dtmf_received.emit(event.call_id, event.digit)
        elif isinstance(event, IncomingCallRejected):
            self.message.emit(f"Refused a call from {event.remote_uri} ({event.source}): {event.reason}")
        elif isinstance(event, TransferProgress) and event.final:
            ok = 200 <= event.code < 300
            self.message.emit(f"Transfer {'done' if ok else 'failed'}: {event.code} {event.reason}")
        elif isinstance(event, TransferRequestRejected):
            self.message.emit(f"Refused the other party's request to transfer the call to {event.target}")
        elif isinstance(event, AudioDeviceProblem):
            which = "microphone" if event.direction == "input" else "speaker"
            name = f" ({event.device})" if event.device else ""
            self.message.emit(f"Headset {which}{name}: {device_problem_text(event.message)}")

    def _call_state(self, event: CallStateChanged) -> None:
        call = self._view(event.call_id, event.account_id, event.direction, event.remote_uri)
        call.remote_uri = event.remote_uri or call.remote_uri
        call.state, call.reason = event.state, event.reason
        if event.state is CallState.CONFIRMED and call.answered_at is None:
            call.answered_at = time.monotonic()
            self.call_changed.emit(call)
            self.call_answered.emit(call)
            return
        self.call_changed.emit(call)
        if event.state is CallState.DISCONNECTED:
            self.calls.pop(event.call_id, None)
            self.call_ended.emit(call)


DEMO_ACCOUNT_ID = "demo"
