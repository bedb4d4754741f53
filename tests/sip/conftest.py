"""Fixtures for the SIP engine tests: a Kamailio registrar and one engine per module (one per process
at a time: PJSIP allows a single endpoint)."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from earpiece.core.settings import AccountSettings, Transport
from earpiece.sip.config import EngineConfig
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import RegistrationChanged, RegistrationState
from earpiece.sip.records import CallHistory
from tests.peers.kamailio import Kamailio
from tests.sip.helpers import EventLog, tone, write_wav

USERS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw"}
# The `registered` fixture: registered("alice", auto_answer_s=0) -> the account's settings.
Register = Callable[..., AccountSettings]


@pytest.fixture(scope="module")
def registrar() -> Iterator[Kamailio]:
    with Kamailio(users=USERS) as kamailio:
        yield kamailio


def running_engine(
    tmp_path_factory: pytest.TempPathFactory, config: dict[str, Any] | None = None, **options: Any
) -> Iterator[SipEngine]:
    """A started engine on loopback with no sound devices; `config` changes `EngineConfig` fields,
    `options` go to `SipEngine`."""
    history = CallHistory(tmp_path_factory.mktemp("sip") / "call_history.jsonl")
    engine_config = EngineConfig(
        bind_address="127.0.0.1",
        udp_port=0,
        tcp_port=0,
        reg_expires_s=60,
        reg_retry_min_s=0.5,
        reg_retry_max_s=2.0,
        input_device="none",
        output_device="none",
    )
    sip = SipEngine(dataclasses.replace(engine_config, **(config or {})), history=history, **options)
    sip.start()
    yield sip
    sip.stop()
    assert not sip.running


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipEngine]:
    yield from running_engine(tmp_path_factory)


@pytest.fixture
def events(engine: SipEngine) -> Iterator[EventLog]:
    log = EventLog()
    unsubscribe = engine.subscribe(log)
    yield log
    unsubscribe()


def account(registrar: Kamailio, user: str, **changes: object) -> AccountSettings:
    fields: dict[str, object] = {
        "id": user,
        "username": user,
        "domain": f"{registrar.domain}:{registrar.port}",
        "display_name": user.title(),
    }
    fields.update(changes)
    return AccountSettings.model_validate(fields)


@pytest.fixture
def registered(engine: SipEngine, registrar: Kamailio, events: EventLog) -> Iterator[Register]:
    """`registered("alice", auto_answer_s=0)`: add an account, wait until it is registered; removed after."""
    added: list[str] = []

    def add(user: str, **changes: object) -> AccountSettings:
        settings = account(registrar, user, **changes)
        since = events.mark()
        engine.add_account(settings, USERS[user]).result(5)
        added.append(settings.id)
        events.wait(
            RegistrationChanged,
            lambda e: e.account_id == settings.id and e.state is RegistrationState.REGISTERED,
            timeout=5,
            since=since,
        )
        return settings

    yield add
    for account_id in added:
        engine.remove_account(account_id).result(10)


@pytest.fixture(scope="session")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Callable[[float], Path]:
    """A 16 kHz mono WAV of a sine tone (baresip's microphone), made once per frequency."""
    folder = tmp_path_factory.mktemp("tones")

    def make(frequency: float) -> Path:
        path = folder / f"tone-{frequency:g}.wav"
        if not path.exists():
            write_wav(path, tone(frequency, 30.0))
        return path

    return make


__all__ = ["USERS", "Register", "Transport", "account"]


def shut(connection: socket.socket) -> bool:
    """Whether the engine shut this connection (it reads as closed or reset within 2 s)."""
    connection.settimeout(2)
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True
