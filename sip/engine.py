"""`SipEngine`: one pjsua2 endpoint per process, driven from one dedicated SIP thread.

Every pjsua2 call happens on that thread (a pjsua2 call from any other thread can abort the
process). Other threads submit commands and get `concurrent.futures.Future`s back; events are
delivered to subscribers on the SIP thread, and each subscriber hands them on to its own loop.
"""

from __future__ import annotations

import atexit
import gc
import heapq
import itertools
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import pjsua2 as pj

from earpiece.core.settings import AccountSettings, SrtpPolicy, Transport
from earpiece.sip.accounts import SipAccount, account_config
from earpiece.sip.call_audio import CallAudio
from earpiece.sip.calls import SipCall
from earpiece.sip.config import EngineConfig
from earpiece.sip.endpoint import EngineEndpoint, PjsipLogWriter
from earpiece.sip.events import (
    AudioDeviceProblem,
    CallDirection,
    CallState,
    DtmfMethod,
    EngineStopped,
    IncomingCallRejected,
    MediaStatus,
    RegistrationChanged,
    RegistrationState,
    RejectReason,
    SipEvent,
)
from earpiece.sip.guard import guarded
from earpiece.sip.headset import Headset, HeadsetOpener
from earpiece.sip.quarantine import IncomingGate
from earpiece.sip.reasons import rejected_call_reason
from earpiece.sip.records import CallHistory, CallRecord
from earpiece.sip.text import plain_text, split_name_addr
from earpiece.sip.uris import dial_uri, trusted_origins, user_at_host
from earpiece.sip.watchdog import StaleCallWatchdog

log = logging.getLogger(__name__)

T = TypeVar("T")
Subscriber = Callable[[SipEvent], None]

POLL_INTERVAL_S = 0.01
_CODEC_PRIORITY = {"G722/16000/1": 255, "PCMU/8000/1": 254, "PCMA/8000/1": 253}  # all others off
_DTMF_DIGITS = set("0123456789*#ABCDabcd")


class SipError(Exception):
    """A SIP operation failed; the message is PJSIP's explanation."""


class EngineNotRunningError(SipError):
    pass


class UnknownCallError(SipError, KeyError):
    pass


@dataclass(frozen=True, slots=True)
class CallSummary:
    call_id: str
    account_id: str
    direction: CallDirection
    state: CallState
    remote_uri: str
    display_name: str
    media_status: MediaStatus
    muted: bool


def _detached(error: BaseException) -> BaseException:
    """A copy of `error` without traceback: a traceback kept by a caller would pin pjsua2 objects."""
    if isinstance(error, pj.Error):
        return SipError(_pj_text(error))
    try:
        copy = type(error)(*error.args)
    except Exception:
        copy = SipError(str(error))
    return copy


def _pj_text(error: Any) -> str:
    try:
        return str(error.info()) or f"{error.reason} (status {error.status})"
    except Exception:
        return "PJSIP error"


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
        self._open_headset_media = open_headset
        self._history = history
        self._password_lookup = password_lookup
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._subscribers: list[Subscriber] = []
        self._subscribers_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._boot_error: BaseException | None = None
        self._stop_requested = False
        self._running = False
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled_timers: set[int] = set()
        self._timer_ids = itertools.count(1)
        # Owned by the SIP thread:
        self._ep: Any = None
        self._log_writer: Any = None
        self._transports: dict[str, int] = {}
        self._accounts: dict[str, SipAccount] = {}
        self._calls: dict[str, SipCall] = {}
        self._headset: Headset | None = None
        self._gate: IncomingGate | None = None
        self._tls_rejection = (
            ""  # why the last server certificate was refused, e.g. "The certificate is untrusted"
        )
        # Readable from any thread:
        self._state_lock = threading.Lock()
        self._audio: dict[str, CallAudio] = {}
        self._registration: dict[str, RegistrationState] = {}
        self._addresses: dict[str, tuple[str, int]] = {}

    # -- life cycle --------------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> None:
        """Create the endpoint and its transports on a new SIP thread; raises `SipError` if that fails."""
        if self._thread is not None:
            raise SipError("the SIP engine was already started (one start per engine)")
        with SipEngine._active_lock:
            if SipEngine._active is not None:
                raise SipError("another SIP engine runs in this process (PJSIP allows one per process)")
            SipEngine._active = self
        interval = self.config.gil_switch_interval_s
        if interval is not None and sys.getswitchinterval() > interval:
            sys.setswitchinterval(interval)
        self._thread = threading.Thread(target=self._run, name="earpiece-sip", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise SipError(f"the SIP engine did not start within {timeout} s")
        if self._boot_error is not None:
            self._thread.join(timeout)
            raise SipError(f"the SIP engine could not start: {self._boot_error}")
        atexit.register(self.stop)

    def stop(self, timeout: float = 10.0) -> None:
        """Hang up, unregister and destroy the endpoint in the order that never aborts the process."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stop_requested = True
        if threading.current_thread() is thread:
            return  # the loop ends after this callback returns
        thread.join(timeout)
        atexit.unregister(self.stop)
        if thread.is_alive():
            log.error("the SIP thread did not stop within %s s", timeout)

    @property
    def running(self) -> bool:
        return self._running

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Deliver every event to `callback(event)` on the SIP thread. Returns an unsubscribe function.

        Keep callbacks short and hand work on to your own loop (`loop.call_soon_threadsafe`,
        a queued Qt signal); exceptions are logged and swallowed.
        """
        with self._subscribers_lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._subscribers_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def local_address(self, transport: Transport = Transport.UDP) -> tuple[str, int]:
        """(ip, port) a transport listens on (useful when the port was 0 = any)."""
        with self._state_lock:
            if transport.value not in self._addresses:
                raise SipError(f"no {transport.value.upper()} transport")
            return self._addresses[transport.value]

    # -- accounts ----------------------------------------------------------------------------------
    def add_account(self, account: AccountSettings, password: str | None = None) -> Future[None]:
        """Add (and register, if the account registers) an account. The password defaults to the
        secret store's `sip:<id>`."""
        secret = self._password(account, password)
        return self._submit(lambda: self._add_account(account, secret))

    def update_account(self, account: AccountSettings, password: str | None = None) -> Future[None]:
        """Apply changed settings to an existing account (re-registers if needed; calls go on)."""
        secret = self._password(account, password)
        return self._submit(lambda: self._update_account(account, secret))

    def remove_account(self, account_id: str) -> Future[None]:
        """Hang up the account's calls, unregister it and delete it."""
        return self._submit(lambda: self._remove_account(account_id))

    def register(self, account_id: str, registered: bool = True) -> Future[None]:
        """Register again now (or unregister) without changing the settings."""
        return self._submit(lambda: self._account(account_id).setRegistration(registered))

    def registration_state(self, account_id: str) -> RegistrationState:
        with self._state_lock:
            return self._registration.get(account_id, RegistrationState.UNREGISTERED)

    # -- calls -------------------------------------------------------------------------------------
    def make_call(self, account_id: str, destination: str) -> Future[str]:
        """Call a SIP URI, or a number / user name on the account's domain. Result: the call id."""
        return self._submit(lambda: self._make_call(account_id, destination))

    def answer(self, call_id: str) -> Future[None]:
        return self._submit(lambda: self._call(call_id).answer(_op(200)))

    def reject(self, call_id: str, reason: RejectReason = RejectReason.BUSY) -> Future[None]:
        """Refuse a ringing incoming call: 486 Busy Here or 603 Decline."""
        code = 486 if reason is RejectReason.BUSY else 603
        return self._submit(lambda: self._hangup(call_id, code))

    def hangup(self, call_id: str) -> Future[None]:
        """End a call in any state (cancels an outgoing one, declines a ringing incoming one)."""
        return self._submit(lambda: self._hangup(call_id, 0))

    def hold(self, call_id: str) -> Future[None]:
        return self._submit(lambda: self._call(call_id).setHold(_op()))

    def resume(self, call_id: str) -> Future[None]:
        def resume() -> None:
            prm = _op()
            prm.opt.flag = pj.PJSUA_CALL_UNHOLD
            self._call(call_id).reinvite(prm)

        return self._submit(resume)

    def set_mute(self, call_id: str, muted: bool) -> Future[None]:
        """Silence what the remote party hears from us (headset and reply audio)."""
        return self._submit(lambda: self._call(call_id).set_mute(muted))

    def send_dtmf(self, call_id: str, digits: str, method: DtmfMethod = DtmfMethod.RFC4733) -> Future[None]:
        if not digits or not set(digits) <= _DTMF_DIGITS:
            raise ValueError(f"DTMF digits are 0-9, *, # and A-D; got {digits!r}")

        def send() -> None:
            call = self._call(call_id)
            if method is DtmfMethod.RFC4733:
                call.dialDtmf(digits)
                return
            prm = pj.CallSendDtmfParam()
            prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
            prm.digits = digits
            call.sendDtmf(prm)

        return self._submit(send)

    def transfer(self, call_id: str, destination: str) -> Future[None]:
        """Blind transfer: ask the remote party to call `destination` (progress: `TransferProgress`).
        Once it succeeds our call ends with the reason "transferred"."""

        def xfer() -> None:
            call = self._call(call_id)
            call.xfer(dial_uri(call.settings, destination), _op())

        return self._submit(xfer)

    def attended_transfer(self, call_id: str, target_call_id: str) -> Future[None]:
        """Connect the remote party of `call_id` with the remote party of `target_call_id` (a REFER
        whose Refer-To replaces our call with the target). Once it succeeds both our calls end with
        the reason "transferred"; progress: `TransferProgress` on `call_id`."""

        def xfer() -> None:
            call, target = self._call(call_id), self._call(target_call_id)
            call.xferReplaces(target, _op())
            call.consultation_call_id = target_call_id

        return self._submit(xfer)

    def call_audio(self, call_id: str) -> CallAudio:
        """The call's audio (frames in, `AudioSink` out). Available from any thread while the call lives.

        Its `agent` side is the agent's headset during this call: `agent.frames()` = the microphone
        (copilot transcribes the agent from it), `agent.sink` = audio heard in the headset only."""
        with self._state_lock:
            try:
                return self._audio[call_id]
            except KeyError:
                raise UnknownCallError(f"no such call: {call_id}") from None

    def calls(self, timeout: float = 5.0) -> list[CallSummary]:
        return self._submit(self._summaries).result(timeout)

    # -- headset -----------------------------------------------------------------------------------
    def set_audio_devices(self, input_device: str, output_device: str) -> Future[None]:
        """Choose headset devices by name ("" = system default, "none" = no device)."""
        return self._submit(lambda: self._open_headset(input_device, output_device))

    @property
    def history(self) -> CallHistory:
        if self._history is None:
            self._history = CallHistory(self.config.history_path)
        return self._history

    # -- SIP thread: loop, timers, commands --------------------------------------------------------
    def _submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        if threading.current_thread() is self._thread:
            self._execute(fn, future)
        elif not self._running or self._stop_requested:
            future.set_exception(EngineNotRunningError("the SIP engine is not running"))
        else:
            self._queue.put((fn, future))
        return future

    @staticmethod
    def _execute(fn: Callable[[], Any], future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn()
        except BaseException as error:
            future.set_exception(_detached(error))
        else:
            future.set_result(result)

    def _call_later(self, delay: float, fn: Callable[[], None]) -> int:
        """SIP thread: run `fn` on the SIP thread after `delay` seconds. Returns a timer id."""
        timer_id = next(self._timer_ids)
        heapq.heappush(self._timers, (time.monotonic() + delay, timer_id, fn))
        return timer_id

    def _cancel_timer(self, timer_id: int) -> None:
        self._cancelled_timers.add(timer_id)

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, timer_id, fn = heapq.heappop(self._timers)
            if timer_id in self._cancelled_timers:
                self._cancelled_timers.discard(timer_id)
                continue
            guarded(fn)()

    def _run(self) -> None:
        try:
            self._boot()
        except BaseException as error:
            self._boot_error = _detached(error)
            self._started.set()
            self._teardown()
            return
        self._running = True
        self._started.set()
        try:
            while not self._stop_requested:
                self._ep.libHandleEvents(0)
                self._run_timers()
                try:
                    fn, future = self._queue.get(timeout=POLL_INTERVAL_S)
                except queue.Empty:
                    continue
                self._execute(fn, future)
                while not self._stop_requested:
                    try:
                        fn, future = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    self._execute(fn, future)
        finally:
            self._running = False
            self._teardown()

    def _boot(self) -> None:
        cfg = self.config
        self._ep = EngineEndpoint(self)
        self._ep.libCreate()
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.threadCnt = 0
        ep_cfg.uaConfig.mainThreadOnly = True
        ep_cfg.uaConfig.userAgent = cfg.user_agent
        ep_cfg.uaConfig.maxCalls = cfg.max_calls
        self._log_writer = PjsipLogWriter()
        ep_cfg.logConfig.writer = self._log_writer
        ep_cfg.logConfig.level = cfg.pjsip_log_level
        ep_cfg.logConfig.consoleLevel = cfg.pjsip_log_level
        ep_cfg.logConfig.decor = 0
        media = ep_cfg.medConfig
        media.clockRate = 16000
        media.sndClockRate = 16000
        media.audioFramePtime = 20
        media.ptime = 20
        media.noVad = True
        media.ecTailLen = 0
        media.jbInit = cfg.jb_init_ms
        media.jbMinPre = cfg.jb_min_pre_ms
        media.jbMaxPre = cfg.jb_max_pre_ms
        media.jbMax = cfg.jb_max_ms
        self._ep.libInit(ep_cfg)
        self._create_transports()
        self._ep.libStart()
        self._gate = IncomingGate(self, cfg.admission)
        StaleCallWatchdog(self, cfg.ack_timeout_s, cfg.media_timeout_s).start()
        self._ep.audDevManager().setNullDev()
        for codec in self._ep.codecEnum2():
            self._ep.codecSetPriority(codec.codecId, _CODEC_PRIORITY.get(codec.codecId, 0))
        if cfg.stun_servers:
            self._ep.natUpdateStunServers(list(cfg.stun_servers), False)
        self._open_headset(cfg.input_device, cfg.output_device)

    def _create_transports(self) -> None:
        cfg = self.config
        wanted: list[tuple[str, int, int | None]] = [("udp", pj.PJSIP_TRANSPORT_UDP, cfg.udp_port)]
        wanted.append(("tcp", pj.PJSIP_TRANSPORT_TCP, cfg.tcp_port))
        wanted.append(("tls", pj.PJSIP_TRANSPORT_TLS, cfg.tls_port))
        for name, kind, port in wanted:
            if port is None:
                continue
            tcfg = pj.TransportConfig()
            tcfg.port = port
            if cfg.bind_address not in ("", "0.0.0.0"):
                tcfg.boundAddress = cfg.bind_address
            if kind == pj.PJSIP_TRANSPORT_TLS:
                tcfg.tlsConfig.CaListFile = cfg.ca_file
                tcfg.tlsConfig.verifyServer = True
                tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
            transport_id = self._ep.transportCreate(kind, tcfg)
            self._transports[name] = transport_id
            info = self._ep.transportGetInfo(transport_id)
            host, _, number = str(info.localName).rpartition(":")
            with self._state_lock:
                self._addresses[name] = (host.strip("[]"), int(number))

    def _teardown(self) -> None:
        """The order from the pjsua2 notes: hang up -> poll -> drop calls and ports -> unregister and
        shut accounts down -> gc -> libDestroy -> drop the log writer -> drop the endpoint."""
        ep = self._ep
        while True:  # fail commands that arrived too late
            try:
                _, future = self._queue.get_nowait()
            except queue.Empty:
                break
            if future.set_running_or_notify_cancel():
                future.set_exception(EngineNotRunningError("the SIP engine stopped"))
        if ep is not None:
            # Each step is its own method so that no local variable keeps a call or an account
            # alive past libDestroy().
            for step in (self._teardown_calls, self._teardown_accounts):
                try:
                    step()
                except Exception as error:
                    log.error("SIP teardown (%s): %s", step.__name__, _detached(error))
            gc.unfreeze()  # an account frozen by `gc.freeze()` in a cycle would outlive libDestroy()
            gc.collect()
            try:
                ep.libDestroy()
            except Exception as error:
                log.error("SIP libDestroy: %s", _detached(error))
        self._timers.clear()
        self._log_writer = None
        self._ep = None
        with self._state_lock:
            self._audio.clear()
        self._emit(EngineStopped(reason="stopped"))
        with SipEngine._active_lock:
            if SipEngine._active is self:
                SipEngine._active = None

    def _teardown_calls(self) -> None:
        if self._calls:
            self._ep.hangupAllCalls()
            self._poll_until(
                lambda: all(c.state is CallState.DISCONNECTED for c in self._calls.values()), 2.0
            )
        for call in self._calls.values():
            call.release_media()
        self._calls.clear()
        if self._headset is not None:
            self._headset.close()
            self._headset = None

    def _teardown_accounts(self) -> None:
        """Unregister (unregister on quit), then shut every account down."""
        self._timers.clear()
        for account in self._accounts.values():
            account.cancel_retry()
        registered = [a for a in self._accounts.values() if a.unregister()]
        if registered:
            self._poll_until(
                lambda: all(a.state is not RegistrationState.REGISTERED for a in registered), 1.5
            )
        self._timers.clear()
        for account in self._accounts.values():
            account.shutdown()
        self._accounts.clear()
        if self._gate is not None:
            self._gate.shutdown()
            self._gate = None

    def _poll_until(self, condition: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            self._ep.libHandleEvents(10)
            self._run_timers()

    # -- SIP thread: helpers used by accounts and calls ----------------------------------------------
    def _emit(self, event: SipEvent) -> None:
        if isinstance(event, RegistrationChanged):
            with self._state_lock:
                self._registration[event.account_id] = event.state
        with self._subscribers_lock:
            subscribers = tuple(self._subscribers)
        for subscriber in subscribers:
            guarded(subscriber)(event)

    def _error_text(self, status: int) -> str:
        try:
            return str(self._ep.utilStrError(status))
        except Exception:
            return f"status {status}"

    def _record(self, record: CallRecord) -> None:
        try:
            self.history.append(record)
        except OSError as error:
            log.error("could not save the call record: %s", error)

    def _adopt_call(self, call: SipCall) -> None:
        self._calls[call.call_id] = call
        with self._state_lock:
            self._audio[call.call_id] = call.audio

    def _forget(self, call_id: str) -> None:
        self._calls.pop(call_id, None)
        with self._state_lock:
            self._audio.pop(call_id, None)

    def _end_transferred(self, call_id: str) -> None:
        """After a successful transfer our leg (and an attended transfer's consultation) is done."""
        call = self._calls.get(call_id)
        if call is not None and call.state is not CallState.DISCONNECTED:
            call.local_hangup = True
            call.transferred = True
            call.hangup(_op())

    def _auto_answer(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is not None and call.state in (CallState.INCOMING, CallState.EARLY):
            call.answer(_op(200))

    def _on_transport_down(self) -> None:
        for account in self._accounts.values():
            if account.settings.transport is not Transport.UDP:
                account.refresh_after_transport_loss()

    def _rejected_by_pjsip(self, code: int, sip_reason: str, local: str, remote: str, source: str) -> None:
        # `local` is the To URI as PJSIP prints it in a To header (no port): match user and host.
        called = user_at_host(local)
        account = next(
            (
                a
                for a in self._accounts.values()
                if user_at_host(f"sip:{a.settings.username}@{a.settings.domain}") == called
            ),
            None,
        )
        settings = account.settings if account is not None else None
        self._emit(
            IncomingCallRejected(
                account_id=settings.id if settings is not None else "",
                remote_uri=plain_text(split_name_addr(remote)[1]),
                source=plain_text(source),
                code=code,
                reason=rejected_call_reason(
                    code,
                    plain_text(sip_reason),
                    srtp_required=settings is not None and settings.srtp is SrtpPolicy.MANDATORY,
                ),
            )
        )

    def _headset_failed(self, device: str, direction: str, message: str) -> None:
        """Any thread (PortAudio's): the device vanished; go on without a headset."""

        def fail() -> None:
            self._emit(AudioDeviceProblem(device=device, direction=direction, message=message))
            if self._headset is not None:
                for call in self._calls.values():
                    for media in call.media:
                        self._headset.detach(media)
                self._headset.close()
                self._headset = None
                for call in self._calls.values():
                    call.use_headset(None)

        self._submit(fail)

    def _headset_attach(self, media: Any) -> None:
        if self._headset is not None:
            self._headset.attach(media)

    def _headset_detach(self, media: Any) -> None:
        if self._headset is not None:
            self._headset.detach(media)

    # -- SIP thread: command bodies ------------------------------------------------------------------
    def _password(self, account: AccountSettings, password: str | None) -> str:
        if password is not None:
            return password
        if self._password_lookup is not None:
            return self._password_lookup(account.id)
        from earpiece.core.secrets import get_secret

        return get_secret(f"sip:{account.id}")

    def _transport_for(self, account: AccountSettings) -> int:
        name = account.transport.value
        if name not in self._transports:
            raise SipError(f"account {account.id} uses {name.upper()}, which is not enabled")
        if account.transport is Transport.TLS and not account.tls_verify_server:
            if "tls-noverify" not in self._transports:
                tcfg = pj.TransportConfig()
                tcfg.port = 0
                if self.config.bind_address not in ("", "0.0.0.0"):
                    tcfg.boundAddress = self.config.bind_address
                tcfg.tlsConfig.verifyServer = False
                tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
                self._transports["tls-noverify"] = self._ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, tcfg)
            return self._transports["tls-noverify"]
        return self._transports[name]

    def _add_account(self, settings: AccountSettings, password: str) -> None:
        if settings.id in self._accounts:
            raise SipError(f"account {settings.id} already exists")
        acfg = account_config(settings, password, self.config, self._transport_for(settings))
        account = SipAccount(self, settings)
        account.create(acfg, True)
        self._accounts[settings.id] = account
        if not settings.registration:
            account.state = RegistrationState.UNREGISTERED

    def _update_account(self, settings: AccountSettings, password: str) -> None:
        account = self._account(settings.id)
        acfg = account_config(settings, password, self.config, self._transport_for(settings))
        account.cancel_retry()
        # Without a registrar, `modify` drops the registration session at once (no callback): send the
        # un-REGISTER first and wait for its answer, as on removal.
        if not settings.registration and account.unregister():
            self._poll_until(lambda: account.state is not RegistrationState.REGISTERED, 1.5)
        account.settings = settings
        account.origins = trusted_origins(settings)
        account.modify(acfg)
        if not settings.registration:
            account.mark_unregistered()

    def _remove_account(self, account_id: str) -> None:
        account = self._account(account_id)
        self._end_calls_of(account_id)
        account.cancel_retry()
        if account.unregister():
            self._poll_until(lambda: account.state is not RegistrationState.REGISTERED, 1.5)
        account.shutdown()
        del self._accounts[account_id]
        with self._state_lock:
            self._registration.pop(account_id, None)
        if sys.getrefcount(account) > 2:
            log.warning("account %s is still referenced after removal", account_id)

    def _end_calls_of(self, account_id: str) -> None:
        """Hang up an account's calls, wait for them to end, and drop them (deleting an account with
        live calls is a use-after-free in PJSIP 2.15)."""
        calls = [c for c in self._calls.values() if c.settings.id == account_id]
        for call in calls:
            if call.state is not CallState.DISCONNECTED:
                call.local_hangup = True
                call.hangup(_op())
        self._poll_until(lambda: all(c.state is CallState.DISCONNECTED for c in calls), 3.0)
        for call in calls:
            self._forget(call.call_id)

    def _make_call(self, account_id: str, destination: str) -> str:
        account = self._account(account_id)
        uri = dial_uri(account.settings, destination)
        call = SipCall(self, account, CallDirection.OUTBOUND)
        call.remote_uri = uri
        call.makeCall(uri, _op())
        self._adopt_call(call)
        return call.call_id

    def _hangup(self, call_id: str, code: int) -> None:
        call = self._call(call_id)
        call.local_hangup = True
        call.hangup(_op(code))

    def _call(self, call_id: str) -> SipCall:
        call = self._calls.get(call_id)
        if call is None or call.state is CallState.DISCONNECTED:
            raise UnknownCallError(f"no active call {call_id}")
        return call

    def _account(self, account_id: str) -> SipAccount:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise SipError(f"no such account: {account_id}") from None

    def _summaries(self) -> list[CallSummary]:
        return [
            CallSummary(
                call_id=c.call_id,
                account_id=c.settings.id,
                direction=c.direction,
                state=c.state,
                remote_uri=c.remote_uri,
                display_name=c.display_name,
                media_status=c.media_status,
                muted=c.muted,
            )
            for c in self._calls.values()
            if c.state is not CallState.DISCONNECTED
        ]

    def _open_headset(self, input_device: str, output_device: str) -> None:
        if self._headset is not None:
            self._headset.close()
        self._headset = self._open_headset_media(
            input_device, output_device, self._emit, self._headset_failed
        )
        for call in self._calls.values():
            call.use_headset(self._headset)
            for media in call.media:
                self._headset_attach(media)


def _op(code: int = 0) -> Any:
    prm = pj.CallOpParam(True)
    if code:
        prm.statusCode = code
    return prm
