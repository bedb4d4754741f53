"""Kamailio as a real registrar and proxy on 127.0.0.1, with users and passwords given by the test.

with Kamailio(users={"alice": "pw", "bob": "pw2"}) as registrar:
    registrar.port, registrar.domain, registrar.uri   # UDP and TCP on the same port
    registrar.restart()                                # same port; the location table is lost
    registrar.invites()                                # initial INVITEs routed: users, Call-ID, Replaces

Kamailio(users, tls=ca.issue_server(folder)) also listens for TLS on `registrar.tls_port`.
"""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tests.peers.certs import ServerFiles
from tests.peers.process import LOOPBACK, PeerProcess, free_port, wait_for

KAMAILIO = "/usr/sbin/kamailio"
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
TEMPLATE = Path(__file__).with_name("kamailio.cfg.in")
_INVITE_LINE = re.compile(r"earpiece-invite from=(\S*) to=(\S*) call-id=(\S*) replaces=(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Invite:
    from_user: str
    to_user: str
    call_id: str
    replaces: str  # the Replaces header, "<null>" when absent


def _quote(value: str) -> str:
    if any(ch in value for ch in '"\\\n\r'):
        raise ValueError(f"unsupported character in Kamailio user or password: {value!r}")
    return f'"{value}"'


class Kamailio:
    def __init__(
        self, users: dict[str, str], port: int | None = None, tls: ServerFiles | None = None
    ) -> None:
        self.users = dict(users)
        self.port = port or free_port()
        self.tls = tls
        self.tls_port = free_port(udp=False) if tls else None  # TLS on its own TCP port
        self.domain = LOOPBACK
        self._dir = Path(tempfile.mkdtemp(prefix="earpiece-kamailio-"))
        self.config_path = self._dir / "kamailio.cfg"
        self.config_path.write_text(self._config(), encoding="utf-8")
        self._proc: PeerProcess | None = None

    @property
    def uri(self) -> str:
        """The registrar's SIP URI (UDP)."""
        return f"sip:{self.domain}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return (self.domain, self.port)

    def _config(self) -> str:
        lines = "\n".join(f"    $sht(users=>{_quote(u)[1:-1]}) = {_quote(p)};" for u, p in self.users.items())
        text = TEMPLATE.read_text(encoding="utf-8").replace("@TLS@", self._tls_config())
        return text.replace("@PORT@", str(self.port)).replace("@MPATH@", MODULES).replace("@USERS@", lines)

    def _tls_config(self) -> str:
        """The `tls` module (Debian package kamailio-tls-modules) with the given certificate; clients'
        certificates are not asked for."""
        if self.tls is None:
            return ""
        return "\n".join(
            [
                "enable_tls=yes",
                f"listen=tls:{LOOPBACK}:{self.tls_port}",
                'loadmodule "tls.so"',
                f'modparam("tls", "certificate", {_quote(str(self.tls.certificate))})',
                f'modparam("tls", "private_key", {_quote(str(self.tls.private_key))})',
                'modparam("tls", "tls_method", "TLSv1.2+")',
                'modparam("tls", "verify_certificate", 0)',
                'modparam("tls", "require_certificate", 0)',
            ]
        )

    def start(self, timeout: float = 10.0) -> None:
        if self._proc is not None and self._proc.alive():
            return
        argv = [
            KAMAILIO,
            "-DD",
            "-E",
            "-m",
            "32",
            "-M",
            "4",
            "-Y",
            str(self._dir),
            "-f",
            str(self.config_path),
        ]
        self._proc = PeerProcess(argv, self._dir / "kamailio.log")
        if not wait_for(self._listening, timeout) or not self._proc.alive():
            log = self._proc.log_text()
            self._proc.stop()
            raise RuntimeError(f"Kamailio did not start on port {self.port}:\n{log[-3000:]}")

    def _listening(self) -> bool:
        assert self._proc is not None
        if not self._proc.alive():
            return True  # reported by the caller through the log
        with socket.socket() as sock:
            sock.settimeout(0.2)
            return sock.connect_ex(self.address) == 0

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stop()
            self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def invites(self) -> list[Invite]:
        """Every initial INVITE the proxy routed so far (from the `earpiece-invite` log lines)."""
        return [Invite(*m.groups()) for m in _INVITE_LINE.finditer(self.log_text())]

    def log_text(self) -> str:
        return (
            self._proc.log_text() if self._proc else (self._dir / "kamailio.log").read_text(errors="replace")
        )

    def __enter__(self) -> Kamailio:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
