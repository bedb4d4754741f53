"""Registration over TLS to Kamailio's tls module, with the server certificate verified against a CA
made at test time, and refused when the certificate is not trusted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.core.settings import Transport
from earpiece.sip.config import EngineConfig
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import RegistrationChanged, RegistrationState
from earpiece.sip.records import CallHistory
from tests.peers.certs import CertificateAuthority
from tests.peers.kamailio import Kamailio
from tests.sip.conftest import USERS, account
from tests.sip.helpers import EventLog

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    CertificateAuthority("Earpiece test CA").write(folder / "ca.pem")
    return folder


@pytest.fixture(scope="module")
def trusted_ca(certs: Path) -> CertificateAuthority:
    ca = CertificateAuthority("Earpiece trusted test CA")
    ca.write(certs / "trusted-ca.pem")
    return ca


@pytest.fixture(scope="module")
def registrar(certs: Path, trusted_ca: CertificateAuthority) -> Iterator[Kamailio]:
    with Kamailio(users=USERS, tls=trusted_ca.issue_server(certs / "trusted")) as kamailio:
        yield kamailio


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory, certs: Path, trusted_ca: CertificateAuthority
) -> Iterator[SipEngine]:
    """An engine with a TLS transport that trusts only the test CA (EngineConfig.ca_file)."""
    config = EngineConfig(
        bind_address="127.0.0.1",
        udp_port=0,
        tcp_port=None,
        tls_port=0,
        ca_file=str(certs / "trusted-ca.pem"),
        input_device="none",
        output_device="none",
    )
    sip = SipEngine(config, history=CallHistory(tmp_path_factory.mktemp("sip-tls") / "history.jsonl"))
    sip.start()
    yield sip
    sip.stop()


def _state(account_id: str, state: RegistrationState):  # type: ignore[no-untyped-def]
    return lambda e: e.account_id == account_id and e.state is state


def test_registers_over_tls_with_the_server_certificate_verified(
    engine: SipEngine, registrar: Kamailio, events: EventLog
) -> None:
    assert registrar.tls_port is not None
    settings = account(registrar, "alice", domain=f"127.0.0.1:{registrar.tls_port}", transport=Transport.TLS)
    assert settings.tls_verify_server
    engine.add_account(settings, USERS["alice"]).result(5)
    try:
        ok = events.wait(RegistrationChanged, _state("alice", RegistrationState.REGISTERED), timeout=10)
        assert ok.code == 200
    finally:
        engine.remove_account("alice").result(5)


def test_an_untrusted_certificate_fails_registration_with_a_clear_reason(
    engine: SipEngine, events: EventLog, certs: Path
) -> None:
    stranger = CertificateAuthority("Somebody else's CA")  # not in the engine's CA file
    with Kamailio(users=USERS, tls=stranger.issue_server(certs / "untrusted")) as impostor:
        settings = account(impostor, "bob", domain=f"127.0.0.1:{impostor.tls_port}", transport=Transport.TLS)
        engine.add_account(settings, USERS["bob"]).result(5)
        try:
            failed = events.wait(RegistrationChanged, _state("bob", RegistrationState.FAILED), timeout=10)
            assert failed.reason.startswith(
                "the registrar's TLS certificate was refused (The certificate is untrusted)"
            )
        finally:
            engine.remove_account("bob").result(5)
        assert not [
            e
            for e in events.of(RegistrationChanged)
            if e.account_id == "bob" and e.state is RegistrationState.REGISTERED
        ]
        assert "earpiece-invite" not in impostor.log_text()


def test_verification_turned_off_accepts_an_untrusted_certificate(
    engine: SipEngine, events: EventLog, certs: Path
) -> None:
    """The account's explicit opt-out (tls_verify_server=False) uses a separate, non-verifying transport."""
    stranger = CertificateAuthority("Self-made CA of a lab PBX")
    with Kamailio(users=USERS, tls=stranger.issue_server(certs / "lab")) as lab:
        settings = account(
            lab, "carol", domain=f"127.0.0.1:{lab.tls_port}", transport=Transport.TLS, tls_verify_server=False
        )
        engine.add_account(settings, USERS["carol"]).result(5)
        try:
            events.wait(RegistrationChanged, _state("carol", RegistrationState.REGISTERED), timeout=10)
        finally:
            engine.remove_account("carol").result(5)
