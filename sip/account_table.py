"""The engine's accounts (SIP thread) and their registration states (readable from any thread), the
incoming-INVITE gate in front of them, and what the endpoint reports about them."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from earpiece.core.settings import AccountSettings, SrtpPolicy, Transport
from earpiece.sip.accounts import SipAccount, account_config
from earpiece.sip.config import EngineConfig
from earpiece.sip.errors import SipError
from earpiece.sip.events import IncomingCallRejected, RegistrationChanged, RegistrationState, SipEvent
from earpiece.sip.quarantine import IncomingGate
from earpiece.sip.reasons import rejected_call_reason
from earpiece.sip.text import plain_text, split_name_addr
from earpiece.sip.transports import Transports
from earpiece.sip.uris import trusted_origins, user_at_host

if TYPE_CHECKING:
    from earpiece.sip.call_table import CallTable
    from earpiece.sip.endpoint import EngineEndpoint
    from earpiece.sip.interfaces import SipContext

log = logging.getLogger("earpiece.sip.engine")


class AccountTable:
    """`open(ep)` after `libStart`, `close()` before `libDestroy`: in between it holds the endpoint."""

    def __init__(self, ctx: SipContext, config: EngineConfig, transports: Transports) -> None:
        self._ctx = ctx
        self._config = config
        self._transports = transports
        self._ep: EngineEndpoint | None = None
        self._accounts: dict[str, SipAccount] = {}
        self._lock = threading.Lock()
        self._registration: dict[str, RegistrationState] = {}
        self.gate: IncomingGate | None = None

    # -- any thread --------------------------------------------------------------------------------
    def registration_state(self, account_id: str) -> RegistrationState:
        with self._lock:
            return self._registration.get(account_id, RegistrationState.UNREGISTERED)

    def note(self, event: SipEvent) -> None:
        """The engine's first subscriber: registration states are current before anyone hears of them."""
        if isinstance(event, RegistrationChanged):
            with self._lock:
                self._registration[event.account_id] = event.state

    # -- SIP thread --------------------------------------------------------------------------------
    def open(self, ep: EngineEndpoint) -> None:
        self._ep = ep
        udp = self._transports.id_of(Transport.UDP)
        self.gate = IncomingGate(self._ctx, self, self._config.admission, udp)

    def all(self) -> list[SipAccount]:
        return list(self._accounts.values())

    def get(self, account_id: str) -> SipAccount:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise SipError(f"no such account: {account_id}") from None

    def add(self, settings: AccountSettings, password: str) -> None:
        if settings.id in self._accounts:
            raise SipError(f"account {settings.id} already exists")
        ep = self._endpoint()
        acfg = account_config(settings, password, self._config, self._transports.for_account(ep, settings))
        account = SipAccount(self._ctx, ep, self._config, settings)
        account.create(acfg, True)
        self._accounts[settings.id] = account
        if not settings.registration:
            account.state = RegistrationState.UNREGISTERED

    def update(self, settings: AccountSettings, password: str) -> None:
        account = self.get(settings.id)
        acfg = account_config(
            settings, password, self._config, self._transports.for_account(self._endpoint(), settings)
        )
        account.cancel_retry()
        # Without a registrar, `modify` drops the registration session at once (no callback): send the
        # un-REGISTER first and wait for its answer, as on removal.
        if not settings.registration and account.unregister():
            self._ctx.timers.poll_until(lambda: account.state is not RegistrationState.REGISTERED, 1.5)
        account.settings = settings
        account.origins = trusted_origins(settings)
        account.modify(acfg)
        if not settings.registration:
            account.mark_unregistered()

    def remove(self, account_id: str, calls: CallTable) -> None:
        account = self.get(account_id)
        calls.end_calls_of(account_id, self._ctx.timers)
        account.cancel_retry()
        if account.unregister():
            self._ctx.timers.poll_until(lambda: account.state is not RegistrationState.REGISTERED, 1.5)
        account.shutdown()
        del self._accounts[account_id]
        with self._lock:
            self._registration.pop(account_id, None)
        if sys.getrefcount(account) > 2:
            log.warning("account %s is still referenced after removal", account_id)

    # -- SIP thread: what the endpoint reports -----------------------------------------------------------
    def transport_lost(self) -> None:
        """A TCP or TLS connection dropped: its accounts re-register."""
        for account in self._accounts.values():
            if account.settings.transport is not Transport.UDP:
                account.refresh_after_transport_loss()

    def rejected_by_pjsip(self, code: int, sip_reason: str, local: str, remote: str, source: str) -> None:
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
        self._ctx.events.emit(
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

    def close(self, clear_timers: Callable[[], None]) -> None:
        """Teardown, after the calls ended: unregister, shut every account and the gate down.
        `clear_timers` drops pending timers (a retry timer would keep its account past libDestroy)."""
        try:
            self._close(clear_timers)
        finally:
            self._ep = None  # the endpoint must die on the SIP thread, after libDestroy, whatever failed

    def _close(self, clear_timers: Callable[[], None]) -> None:
        clear_timers()
        for account in self._accounts.values():
            account.cancel_retry()
        registered = [a for a in self._accounts.values() if a.unregister()]
        if registered:
            self._ctx.timers.poll_until(
                lambda: all(a.state is not RegistrationState.REGISTERED for a in registered), 1.5
            )
        clear_timers()
        for account in self._accounts.values():
            account.shutdown()
        self._accounts.clear()
        if self.gate is not None:
            self.gate.shutdown()
            self.gate = None

    def _endpoint(self) -> Any:
        if self._ep is None:
            raise SipError("the SIP engine is not running")
        return self._ep
