"""SIP URI helpers: dial strings to URIs, and where a registrar or proxy lives."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from earpiece.core.settings import AccountSettings, Transport

_URI_HOST = re.compile(r"^sips?:(?:[^@;]*@)?(\[[^\]]+\]|[^:;>?]+)(?::(\d+))?", re.IGNORECASE)
_DIALABLE = re.compile(r"^[A-Za-z0-9+*#._~!$&'()=,-]+$")
_FORBIDDEN_IN_URI = re.compile(r"[\s<>\"\x00-\x1f\x7f]")


def with_transport(uri: str, transport: Transport) -> str:
    if transport is Transport.UDP or ";transport=" in uri.lower():
        return uri
    return f"{uri};transport={transport.value}"


def registrar_uri(account: AccountSettings) -> str:
    return with_transport(account.registrar or f"sip:{account.domain}", account.transport)


def dial_uri(account: AccountSettings, destination: str) -> str:
    """A SIP URI as given, or a number / user name on the account's domain."""
    destination = destination.strip()
    if not destination:
        raise ValueError("nothing to dial")
    if _FORBIDDEN_IN_URI.search(destination):
        raise ValueError(f"not a valid SIP address or number: {destination!r}")
    if destination.lower().startswith(("sip:", "sips:")):
        if not _URI_HOST.match(destination):
            raise ValueError(f"not a valid SIP URI: {destination!r}")
        return destination
    if "@" in destination:
        user, _, host = destination.partition("@")
        if not _DIALABLE.match(user) or not host:
            raise ValueError(f"not a valid SIP address: {destination!r}")
        return with_transport(f"sip:{destination}", account.transport)
    number = destination.replace(" ", "")
    if not _DIALABLE.match(number):
        raise ValueError(f"not a valid number or user name: {destination!r}")
    return with_transport(f"sip:{number}@{account.domain}", account.transport)


_USER_HOST = re.compile(r"sips?:([^@;>?]+)@(\[[^\]]+\]|[^:;>?]+)", re.IGNORECASE)


def user_at_host(uri: str) -> str:
    """`"Alice" <sip:alice@example.com:5070;transport=tcp>` -> "alice@example.com" ("" if none)."""
    match = _USER_HOST.search(uri)
    return f"{match.group(1)}@{match.group(2)}".lower() if match else ""


@dataclass(frozen=True, slots=True)
class Origin:
    """An address requests may come from: `port` None means any port (connection-oriented transports)."""

    ip: str
    port: int | None

    def matches(self, source: str) -> bool:
        host, _, port = source.rpartition(":")
        host = host.strip("[]")
        return host == self.ip and (self.port is None or port == str(self.port))


def trusted_origins(account: AccountSettings) -> list[Origin]:
    """The registrar's and proxy's addresses, resolved now (INVITEs from anywhere else are direct)."""
    origins: list[Origin] = []
    for uri in (registrar_uri(account), account.proxy):
        match = _URI_HOST.match(uri) if uri else None
        if match is None:
            continue
        host, port = match.group(1).strip("[]"), match.group(2)
        secure = uri.lower().startswith("sips:") or "transport=tls" in uri.lower()
        number = int(port) if port else (5061 if secure else 5060)
        udp = account.transport is Transport.UDP and "transport=" not in uri.lower()
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, number, proto=socket.IPPROTO_UDP)}
        except OSError:
            addresses = {host}
        origins.extend(Origin(str(ip), number if udp else None) for ip in sorted(addresses))
    return origins
