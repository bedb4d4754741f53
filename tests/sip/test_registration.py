"""Registration against a real Kamailio registrar with digest authentication."""

from __future__ import annotations

import pytest

from earpiece.core.settings import AccountSettings, Transport
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import RegistrationChanged, RegistrationState
from tests.peers.kamailio import Kamailio
from tests.peers.process import free_port
from tests.sip.conftest import USERS, Register, account
from tests.sip.helpers import EventLog

pytestmark = pytest.mark.peers


def _state(account_id: str, state: RegistrationState):  # type: ignore[no-untyped-def]
    return lambda e: e.account_id == account_id and e.state is state


def test_registers_with_the_right_password(engine: SipEngine, registered: Register, events: EventLog) -> None:
    alice = registered("alice")
    assert engine.registration_state(alice.id) is RegistrationState.REGISTERED
    ok = events.of(RegistrationChanged)[-1]
    assert ok.code == 200 and ok.expires_s > 0


def test_wrong_password_gives_a_clear_reason_and_no_retry_loop(
    engine: SipEngine, registrar: Kamailio, events: EventLog
) -> None:
    settings = account(registrar, "bob", id="bob-wrong")
    engine.add_account(settings, "not-the-password").result(5)
    try:
        failed = events.wait(RegistrationChanged, _state("bob-wrong", RegistrationState.FAILED), timeout=5)
        assert failed.code == 401
        assert failed.reason == "wrong user name or password (401 Unauthorized)"
        assert engine.registration_state("bob-wrong") is RegistrationState.FAILED
    finally:
        engine.remove_account("bob-wrong").result(5)


def test_unreachable_registrar_is_reported_and_retried(engine: SipEngine, events: EventLog) -> None:
    closed_port = free_port()
    settings = AccountSettings(
        id="dave-unreachable", username="dave", domain=f"127.0.0.1:{closed_port}", transport=Transport.TCP
    )
    engine.add_account(settings, "x").result(5)
    try:
        first = events.wait(RegistrationChanged, _state(settings.id, RegistrationState.FAILED), timeout=5)
        assert "cannot reach the registrar" in first.reason and "retrying in" in first.reason
        # The engine tries again by itself (backoff from 0.5 s in these tests).
        events.wait(
            RegistrationChanged,
            _state(settings.id, RegistrationState.FAILED),
            timeout=5,
            since=events.events.index(first) + 1,
        )
    finally:
        engine.remove_account(settings.id).result(5)


def test_account_recovers_after_the_registrar_restarts(engine: SipEngine, events: EventLog) -> None:
    with Kamailio(users=USERS) as kamailio:
        settings = account(kamailio, "carol", id="carol-tcp", transport=Transport.TCP)
        engine.add_account(settings, USERS["carol"]).result(5)
        try:
            events.wait(RegistrationChanged, _state(settings.id, RegistrationState.REGISTERED), timeout=5)
            kamailio.stop()
            since = events.mark()
            lost = events.wait(
                RegistrationChanged,
                lambda e: e.account_id == settings.id and e.state is not RegistrationState.REGISTERED,
                timeout=5,
                since=since,
            )
            assert lost.state in (RegistrationState.REGISTERING, RegistrationState.FAILED)
            kamailio.start()  # same port, empty location table: only a new REGISTER brings alice back
            back = events.wait(
                RegistrationChanged, _state(settings.id, RegistrationState.REGISTERED), timeout=8, since=since
            )
            assert back.code == 200
        finally:
            engine.remove_account(settings.id).result(5)


def test_update_account_with_the_right_password_registers_again(
    engine: SipEngine, registrar: Kamailio, events: EventLog
) -> None:
    settings = account(registrar, "dave", id="dave-update")
    engine.add_account(settings, "an-old-password").result(5)
    try:
        events.wait(RegistrationChanged, _state(settings.id, RegistrationState.FAILED), timeout=5)
        since = events.mark()
        engine.update_account(settings, USERS["dave"]).result(5)
        ok = events.wait(
            RegistrationChanged, _state(settings.id, RegistrationState.REGISTERED), timeout=5, since=since
        )
        assert ok.code == 200
        # A later change that turns registration off unregisters.
        since = events.mark()
        engine.update_account(settings.model_copy(update={"registration": False}), USERS["dave"]).result(5)
        events.wait(
            RegistrationChanged, _state(settings.id, RegistrationState.UNREGISTERED), timeout=5, since=since
        )
    finally:
        engine.remove_account(settings.id).result(5)
