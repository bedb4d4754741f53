"""The endpoint's SIP transports (UDP, TCP, TLS, and a TLS one that does not verify, made on demand).
Created and chosen on the SIP thread; their addresses are readable from any thread. The listeners of
the connection transports are handed to the endpoint's connection breaker (sip/connections.py)."""

from __future__ import annotations

import threading
from typing import Any

import pjsua2 as pj

from earpiece.core.settings import AccountSettings, Transport
from earpiece.sip.config import EngineConfig
from earpiece.sip.errors import SipError
from earpiece.sip.listener_gate import ListenerGate

_NO_VERIFY = "tls-noverify"


class Transports:
    def __init__(self, config: EngineConfig) -> None:
        self._config = config
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()
        self._addresses: dict[str, tuple[str, int]] = {}
        self._gate = ListenerGate()

    def create(self, ep: Any) -> None:
        """Between `libInit` and `libStart`: the transports the configuration asks for. `ep` is the
        `EngineEndpoint`: its connection cap gets the listeners to pause under a flood."""
        ep.connections.guard(self._gate)
        cfg = self._config
        wanted = [
            ("udp", pj.PJSIP_TRANSPORT_UDP, cfg.udp_port),
            ("tcp", pj.PJSIP_TRANSPORT_TCP, cfg.tcp_port),
            ("tls", pj.PJSIP_TRANSPORT_TLS, cfg.tls_port),
        ]
        for name, kind, port in wanted:
            if port is None:
                continue
            tcfg = self._transport_config(port)
            if kind == pj.PJSIP_TRANSPORT_TLS:
                tcfg.tlsConfig.CaListFile = cfg.ca_file
                tcfg.tlsConfig.verifyServer = True
            transport_id = ep.transportCreate(kind, tcfg)
            self._ids[name] = transport_id
            host, number = _local_address(ep, transport_id)
            with self._lock:
                self._addresses[name] = (host, number)
            if kind != pj.PJSIP_TRANSPORT_UDP:
                # no server certificate is configured: no incoming TLS handshake can succeed
                self._gate.add(number, serves_incoming=kind != pj.PJSIP_TRANSPORT_TLS)

    def address(self, transport: Transport) -> tuple[str, int]:
        """(ip, port) a transport listens on (useful when the port was 0 = any)."""
        with self._lock:
            if transport.value not in self._addresses:
                raise SipError(f"no {transport.value.upper()} transport")
            return self._addresses[transport.value]

    def id_of(self, transport: Transport) -> int | None:
        """The id of the transport the configuration asked for (None if it is not enabled)."""
        return self._ids.get(transport.value)

    def for_account(self, ep: Any, account: AccountSettings) -> int:
        """The transport id an account sends through; `SipError` if its transport is not enabled."""
        name = account.transport.value
        if name not in self._ids:
            raise SipError(f"account {account.id} uses {name.upper()}, which is not enabled")
        if account.transport is Transport.TLS and not account.tls_verify_server:
            if _NO_VERIFY not in self._ids:
                tcfg = self._transport_config(0)
                tcfg.tlsConfig.verifyServer = False
                self._ids[_NO_VERIFY] = ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, tcfg)
                self._gate.add(_local_address(ep, self._ids[_NO_VERIFY])[1], serves_incoming=False)
            return self._ids[_NO_VERIFY]
        return self._ids[name]

    def _transport_config(self, port: int) -> Any:
        tcfg = pj.TransportConfig()
        tcfg.port = port
        if self._config.bind_address not in ("", "0.0.0.0"):
            tcfg.boundAddress = self._config.bind_address
        tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD  # used by TLS transports only
        return tcfg


def _local_address(ep: Any, transport_id: int) -> tuple[str, int]:
    host, _, number = str(ep.transportGetInfo(transport_id).localName).rpartition(":")
    return host.strip("[]"), int(number)
