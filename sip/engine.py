"""`SipEngine`: one pjsua2 endpoint per process, driven from one dedicated SIP thread (`SipLoop`).

Every pjsua2 call happens on that thread (a pjsua2 call from any other thread can abort the
process). Other threads submit commands and get `concurrent.futures.Future`s back; events are
delivered to subscribers on the SIP thread, and each subscriber hands them on to its own loop.

The engine puts the parts together and owns the order of start and teardown: `SipLoop` (thread,
commands, timers), `EventBus`, `CallTable` (calls and their audio), `AccountTable` (accounts,
registration, the INVITE gate), `Transports`, `HeadsetSwitch`. Accounts and calls see only the
`SipContext` protocols (sip/interfaces.py).
"""

from __future__ import annotations

import atexit
import gc
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pjsua2 as pj

from earpiece.core.settings import AccountSettings, Transport
from earpiece.sip import reinvite
from earpiece.sip.account_table import AccountTable
from earpiece.sip.call_audio import CallAudio
from earpiece.sip.call_table import CallSummary, CallTable
from earpiece.sip.calls import SipCall, call_op
from earpiece.sip.clock_thread import CLOCK
from earpiece.sip.codecs import codec_ids, set_codec_order
from earpiece.sip.config import EngineConfig
from earpiece.sip.connections import ConnectionCap
from earpiece.sip.endpoint import EngineEndpoint, PjsipLogWriter, endpoint_config, prefer_codecs
from earpiece.sip.errors import EngineNotRunningError, SipError, UnknownCallError, detached
from earpiece.sip.event_bus import EventBus, Subscriber
from earpiece.sip.events import (
    CallDirection,
    CallMediaChanged,
    CallState,
    CallStateChanged,
    DtmfMethod,
    EngineStopped,
    RegistrationState,
    RejectReason,
    SipEvent,
)
from earpiece.sip.headset import Headset, HeadsetOpener
from earpiece.sip.headset_switch import HeadsetSwitch
from earpiece.sip.interfaces import SipContext
from earpiece.sip.levels import HeadsetVolume, checked_level
from earpiece.sip.loop import EventPump, SipLoop
from earpiece.sip.recording import CallRecordings
from earpiece.sip.records import CallHistory
from earpiece.sip.transports import Transports
from earpiece.sip.uris import dial_uri
from earpiece.sip.watchdog import StaleCallWatchdog

__all__ = ["CallSummary", "EngineNotRunningError", "SipEngine", "SipError", "UnknownCallError"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_DTMF_DIGITS = set("0123456789*#ABCDabcd")


class SipEngine:
    """The softphone. Construct, `start()`, add accounts, then call and answer; `stop()` at the end.

    Every command returns a `Future` completed on the SIP thread (wrap it with
    `asyncio.wrap_future` in a coroutine, or call `.result(timeout)`). PJSIP allows one endpoint
    per process: a second engine cannot start while one runs (after `stop()` a new one can).
    """

    _active: SipEngine | None = None
    _active_lock = threading.Lock()

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        history: CallHistory | None = None,
        password_lookup: Callable[[str], str] | None = None,
        open_headset: HeadsetOpener = Headset.open,
    ) -> None:
        """`open_headset(input_name, output_name, emit, on_failure)` builds the agent's headset on
        the SIP thread (default: sound devices through sounddevice)."""
        self.config = config or EngineConfig()
        self._history = history
        self._password_lookup = password_lookup
        self._loop = SipLoop()
        self._events = EventBus()
        self._calls = CallTable(lambda: self.history)
        self._headset = HeadsetSwitch(open_headset, self._events, self._calls, self._loop.submit)
        self._context = SipContext(
            events=self._events, timers=self._loop, calls=self._calls, headset=self._headset
        )
        self._transports = Transports(self.config)
        self._accounts = AccountTable(self._context, self.config, self._transports)
        self._events.subscribe(self._accounts.note)  # first: states are current for every subscriber
        self._volume = HeadsetVolume()
        self._recordings = CallRecordings()
        self._offers = reinvite.PendingOffers(self._loop.submit, self._loop, self._calls.get)
        self._events.subscribe(self._follow_calls)
        self._ep: EngineEndpoint | None = None  # SIP thread
        self._log_writer: Any = None

    # -- life cycle --------------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> None:
        """Create the endpoint and its transports on a new SIP thread; raises `SipError` if that fails."""
        if self._loop.started:
            raise SipError("the SIP engine was already started (one start per engine)")
        with SipEngine._active_lock:
            if SipEngine._active is not None:
                raise SipError("another SIP engine runs in this process (PJSIP allows one per process)")
            SipEngine._active = self
        interval = self.config.gil_switch_interval_s
        if interval is not None and sys.getswitchinterval() > interval:
            sys.setswitchinterval(interval)
        CLOCK.configure(self.config.clock_rt_priority)
        self._loop.start(self._boot, self._teardown, timeout)
        atexit.register(self.stop)

    def stop(self, timeout: float = 10.0) -> None:
        """Hang up, unregister and destroy the endpoint in the order that never aborts the process."""
        if self._loop.stop(timeout) and not self._loop.on_thread():
            atexit.unregister(self.stop)

    @property
    def running(self) -> bool:
        return self._loop.running

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Deliver every event to `callback(event)` on the SIP thread. Returns an unsubscribe function.

        Keep callbacks short and hand work on to your own loop (`loop.call_soon_threadsafe`,
        a queued Qt signal); exceptions are logged and swallowed.
        """
        return self._events.subscribe(callback)

    def local_address(self, transport: Transport = Transport.UDP) -> tuple[str, int]:
        """(ip, port) a transport listens on (useful when the port was 0 = any)."""
        return self._transports.address(transport)

    # -- accounts ----------------------------------------------------------------------------------
    def add_account(self, account: AccountSettings, password: str | None = None) -> Future[None]:
        """Add (and register, if the account registers) an account. The password defaults to the
        secret store's `sip:<id>`."""
        secret = self._password(account, password)
        return self._loop.submit(lambda: self._accounts.add(account, secret))

    def update_account(self, account: AccountSettings, password: str | None = None) -> Future[None]:
        """Apply changed settings to an existing account (re-registers if needed; calls go on)."""
        secret = self._password(account, password)
        return self._loop.submit(lambda: self._accounts.update(account, secret))

    def remove_account(self, account_id: str) -> Future[None]:
        """Hang up the account's calls, unregister it and delete it."""
        return self._loop.submit(lambda: self._accounts.remove(account_id, self._calls))

    def register(self, account_id: str, registered: bool = True) -> Future[None]:
        """Register again now (or unregister) without changing the settings."""
        return self._loop.submit(lambda: self._accounts.get(account_id).setRegistration(registered))

    def registration_state(self, account_id: str) -> RegistrationState:
        return self._accounts.registration_state(account_id)

    # -- calls -------------------------------------------------------------------------------------
    def make_call(self, account_id: str, destination: str) -> Future[str]:
        """Call a SIP URI, or a number / user name on the account's domain. Result: the call id."""
        return self._loop.submit(lambda: self._make_call(account_id, destination))

    def answer(self, call_id: str) -> Future[None]:
        return self._loop.submit(lambda: self._calls.get(call_id).answer(call_op(200)))

    def reject(self, call_id: str, reason: RejectReason = RejectReason.BUSY) -> Future[None]:
        """Refuse a ringing incoming call: 486 Busy Here or 603 Decline."""
        code = 486 if reason is RejectReason.BUSY else 603
        return self._loop.submit(lambda: self._calls.get(call_id).hang_up_here(code))

    def hangup(self, call_id: str) -> Future[None]:
        """End a call in any state (cancels an outgoing one, declines a ringing incoming one)."""
        return self._loop.submit(lambda: self._calls.get(call_id).hang_up_here())

    def hold(self, call_id: str) -> Future[None]:
        """Put the call on hold; sent once a previous offer of the call is over (sip/reinvite.py)."""
        return self._offers.send(call_id, "hold", reinvite.hold)

    def resume(self, call_id: str) -> Future[None]:
        """Take the call off hold, also right after `hold` (waits for its re-INVITE to finish)."""
        return self._offers.send(call_id, "resume", reinvite.resume)

    def set_mute(self, call_id: str, muted: bool) -> Future[None]:
        """Silence what the remote party hears from us (headset and reply audio)."""
        def mute() -> None:
            call = self._calls.get(call_id)
            call.set_mute(muted)
            self._recordings.rewire(call, self._headset.current)  # a recording hears what the caller does

        return self._loop.submit(mute)

    def send_dtmf(self, call_id: str, digits: str, method: DtmfMethod = DtmfMethod.RFC4733) -> Future[None]:
        if not digits or not set(digits) <= _DTMF_DIGITS:
            raise ValueError(f"DTMF digits are 0-9, *, # and A-D; got {digits!r}")

        def send() -> None:
            call = self._calls.get(call_id)
            if method is DtmfMethod.RFC4733:
                call.dialDtmf(digits)
                return
            prm = pj.CallSendDtmfParam()
            prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
            prm.digits = digits
            call.sendDtmf(prm)

        return self._loop.submit(send)

    def transfer(self, call_id: str, destination: str) -> Future[None]:
        """Blind transfer: ask the remote party to call `destination` (progress: `TransferProgress`).
        Once it succeeds our call ends with the reason "transferred"."""

        def xfer() -> None:
            call = self._calls.get(call_id)
            call.xfer(dial_uri(call.settings, destination), call_op())

        return self._loop.submit(xfer)

    def attended_transfer(self, call_id: str, target_call_id: str) -> Future[None]:
        """Connect the remote party of `call_id` with the remote party of `target_call_id` (a REFER
        whose Refer-To replaces our call with the target). Once it succeeds both our calls end with
        the reason "transferred"; progress: `TransferProgress` on `call_id`."""

        def xfer() -> None:
            call, target = self._calls.get(call_id), self._calls.get(target_call_id)
            call.xferReplaces(target, call_op())
            call.consultation_call_id = target_call_id

        return self._loop.submit(xfer)

    def call_audio(self, call_id: str) -> CallAudio:
        """The call's audio (frames in, `AudioSink` out). Available from any thread while the call lives.

        Its `agent` side is the agent's headset during this call: `agent.frames()` = the microphone
        (copilot transcribes the agent from it), `agent.sink` = audio heard in the headset only."""
        return self._calls.audio(call_id)

    def calls(self, timeout: float = 5.0) -> list[CallSummary]:
        return self._loop.submit(self._calls.summaries).result(timeout)

    # -- headset -----------------------------------------------------------------------------------
    def set_audio_devices(self, input_device: str, output_device: str) -> Future[None]:
        """Switch the agent's headset to these devices by name ("" = system default, "none" = no
        device), during calls too: live calls move to the new devices. The future completes once
        they did; a device that cannot be opened is reported as an `AudioDeviceProblem` event (the
        calls then go on without it), not as an error."""
        def switch() -> None:
            self._headset.switch(input_device, output_device)
            self._after_headset_change()

        return self._loop.submit(switch)

    def set_volume(self, microphone: float, speaker: float) -> Future[None]:
        """Headset volumes, 0.0 (silent) to 2.0 (1.0 = unchanged), live calls included; they stay
        across device switches. ValueError for a level out of range."""
        volume = HeadsetVolume(checked_level("microphone", microphone), checked_level("speaker", speaker))

        def apply() -> None:
            self._volume = volume
            volume.apply(self._headset.current)

        return self._loop.submit(apply)

    @property
    def volume(self) -> tuple[float, float]:
        """The headset volumes now: (microphone, speaker)."""
        return self._volume.microphone, self._volume.speaker

    # -- codecs and recording ----------------------------------------------------------------------
    def codecs(self, timeout: float = 5.0) -> list[str]:
        """The codec ids this PJSIP build has ("G722/16000/1", ...)."""
        return self._loop.submit(lambda: codec_ids(self._endpoint())).result(timeout)

    def set_codec_order(self, order: Sequence[str]) -> Future[None]:
        """Calls from now on offer these codecs in this order and no others (sip/codecs.py); the future
        fails with ValueError for an unknown codec or an empty order."""
        wanted = list(order)
        return self._loop.submit(lambda: set_codec_order(self._endpoint(), wanted))

    def start_recording(self, call_id: str, path: Path) -> Future[None]:
        """Record the call (both parties, mixed) into a new WAV file at `path` until `stop_recording`
        or the call's end."""
        return self._loop.submit(
            lambda: self._recordings.start(self._calls.get(call_id), path, self._headset.current))

    def stop_recording(self, call_id: str) -> Future[Path | None]:
        """End the call's recording; the result is its file (None when none ran)."""
        return self._loop.submit(lambda: self._recordings.stop(call_id))

    @property
    def history(self) -> CallHistory:
        if self._history is None:
            self._history = CallHistory(self.config.history_path)
        return self._history

    # -- SIP thread: boot and teardown ---------------------------------------------------------------
    def _boot(self) -> EventPump:
        cfg = self.config
        self._ep = ep = EngineEndpoint(self._accounts, ConnectionCap(cfg.admission.max_connections))
        ep.libCreate()
        self._log_writer = PjsipLogWriter()
        ep.libInit(endpoint_config(cfg, self._log_writer))
        self._transports.create(ep)
        ep.libStart()
        self._accounts.open(ep)
        StaleCallWatchdog(self._loop, self._calls, cfg.ack_timeout_s, cfg.media_timeout_s).start()
        ep.audDevManager().setNullDev()
        prefer_codecs(ep)
        if cfg.stun_servers:
            ep.natUpdateStunServers(list(cfg.stun_servers), False)
        self._headset.switch(cfg.input_device, cfg.output_device)
        self._after_headset_change()
        return ep.libHandleEvents

    def _endpoint(self) -> EngineEndpoint:
        if self._ep is None:
            raise EngineNotRunningError("the SIP engine is not running")
        return self._ep

    def _after_headset_change(self) -> None:
        """A new headset keeps the volumes, and recordings take its microphone (SIP thread)."""
        headset = self._headset.current
        self._volume.apply(headset)
        for call in self._calls.live():
            self._recordings.rewire(call, headset)

    def _follow_calls(self, event: SipEvent) -> None:
        """Recordings follow their call's media (re-created on hold and resume) and end with it, as
        do its hold and resume commands still waiting to be sent."""
        if isinstance(event, CallMediaChanged):
            call = self._calls.find(event.call_id)
            if call is not None:
                self._recordings.rewire(call, self._headset.current)
        elif isinstance(event, CallStateChanged) and event.state is CallState.DISCONNECTED:
            self._recordings.stop(event.call_id)
            self._offers.call_ended(event.call_id)

    def _teardown(self) -> None:
        """The order from the pjsua2 notes: hang up -> poll -> drop calls and ports -> unregister and
        shut accounts down -> gc -> libDestroy -> drop the log writer -> drop the endpoint."""
        self._offers.stop()  # before the calls end: they fail as "the engine stopped"
        ep = self._ep
        if ep is not None:
            # Each step is its own method so that no local variable keeps a call or an account
            # alive past libDestroy().
            for step in (self._teardown_calls, self._teardown_accounts):
                try:
                    step()
                except Exception as error:
                    log.error("SIP teardown (%s): %s", step.__name__, detached(error))
            gc.unfreeze()  # an account frozen by `gc.freeze()` in a cycle would outlive libDestroy()
            gc.collect()
            try:
                ep.libDestroy()
            except Exception as error:
                log.error("SIP libDestroy: %s", detached(error))
        del ep
        self._log_writer = None
        self._ep = None
        self._events.emit(EngineStopped(reason="stopped"))
        with SipEngine._active_lock:
            if SipEngine._active is self:
                SipEngine._active = None

    def _teardown_calls(self) -> None:
        ep = self._ep
        assert ep is not None
        self._recordings.stop_all()
        self._calls.end_all(ep.hangupAllCalls, self._loop)
        self._headset.close()

    def _teardown_accounts(self) -> None:
        """Unregister (unregister on quit), then shut every account down."""
        self._accounts.close(self._loop.clear_timers)
        self._loop.clear_timers()

    # -- command bodies ----------------------------------------------------------------------------
    def _password(self, account: AccountSettings, password: str | None) -> str:
        if password is not None:
            return password
        if self._password_lookup is not None:
            return self._password_lookup(account.id)
        from earpiece.core.secrets import get_secret

        return get_secret(f"sip:{account.id}")

    def _make_call(self, account_id: str, destination: str) -> str:
        account = self._accounts.get(account_id)
        uri = dial_uri(account.settings, destination)
        call = SipCall(self._context, account, CallDirection.OUTBOUND)
        call.remote_uri = uri
        call.makeCall(uri, call_op())
        self._calls.adopt(call)
        return call.call_id
