"""Kamailio as a real registrar and proxy on 127.0.0.1, with users and passwords given by the test.

with Kamailio(users={"alice": "pw", "bob": "pw2"}) as registrar:
    registrar.port, registrar.domain, registrar.uri   # UDP and TCP on the same port
    registrar.restart()                                # same port; the location table is lost
    registrar.invites()                                # initial INVITEs routed: users, Call-ID, Replaces

Kamailio(users, tls=ca.issue_server(folder)) also listens for TLS on `registrar.tls_port`.

    with KamailioDispatcher(accounts, nodes=[port_a, port_b]) as line:   # the shipped dispatcher
        line.line_uri                      # sip:support@127.0.0.1:<port>, spread over the nodes
        line.wait_nodes_up(2)              # both nodes answered an OPTIONS probe
        line.dispatched()                  # which node each INVITE went to
        line.set_node_calls(1)             # the list changed and reloaded while running
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.peers.certs import ServerFiles
from tests.peers.process import LOOPBACK, PeerProcess, free_port, wait_for

KAMAILIO = "/usr/sbin/kamailio"
KAMCMD = "/usr/sbin/kamcmd"
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
TEMPLATE = Path(__file__).with_name("kamailio.cfg.in")
DISPATCHER_CONFIG = Path(__file__).resolve().parents[2] / "packaging" / "kamailio" / "earpiece-dispatcher.cfg"
_INVITE_LINE = re.compile(r"earpiece-invite from=(\S*) to=(\S*) call-id=(\S*) replaces=(.*)$", re.MULTILINE)
_DISPATCH_LINE = re.compile(r"earpiece-dispatch call-id=(\S*) from=(\S*) node=(\S*)", re.MULTILINE)
_NODE_LINE = re.compile(r"earpiece-node-(up|down) (\S+)", re.MULTILINE)


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


def _table_lines(table: str, users: dict[str, str]) -> str:
    """Config lines that fill an htable with user names and passwords."""
    return "\n".join(f"    $sht({table}=>{_quote(u)[1:-1]}) = {_quote(p)};" for u, p in users.items())


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
        self.config_path = self._write_config()
        self._proc: PeerProcess | None = None

    @property
    def uri(self) -> str:
        """The registrar's SIP URI (UDP)."""
        return f"sip:{self.domain}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return (self.domain, self.port)

    def _write_config(self) -> Path:
        path = self._dir / "kamailio.cfg"
        path.write_text(self._config(), encoding="utf-8")
        return path

    def _config(self) -> str:
        lines = _table_lines("users", self.users)
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

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@dataclass(frozen=True)
class Dispatched:
    call_id: str
    from_user: str
    node: str  # the destination URI the INVITE was sent to, e.g. sip:127.0.0.1:5070


class KamailioDispatcher(Kamailio):
    """The production dispatcher configuration (packaging/kamailio/earpiece-dispatcher.cfg) run
    unchanged, with local files that put it on 127.0.0.1, list `nodes` (agents' SIP ports on
    127.0.0.1) as destinations that start inactive until they answer an OPTIONS probe and carry at
    most `node_calls` calls each, and shorten the probe interval for tests. `users` are the accounts
    that may register."""

    def __init__(
        self,
        users: dict[str, str],
        nodes: list[int],
        *,
        line: str = "support",
        node_calls: int = 4,
        probe_interval_s: int = 1,
        probe_misses: int = 1,
        node_timeout_ms: int = 2000,
        port: int | None = None,
    ) -> None:
        self.nodes = [f"sip:{LOOPBACK}:{node}" for node in nodes]
        self.line = line
        self.node_calls = node_calls  # each node's `maxload`
        self._timers = {"PROBE_INTERVAL_S": probe_interval_s, "PROBE_MISSES": probe_misses,
                        "NODE_TIMEOUT_MS": node_timeout_ms, "REPLY_TIMEOUT_MS": 1000 * probe_interval_s}
        super().__init__(users, port)

    @property
    def line_uri(self) -> str:
        """What callers dial: the line, answered by whichever node the dispatcher picks."""
        return f"sip:{self.line}@{self.domain}:{self.port}"

    @property
    def _agent_list(self) -> Path:
        return self._dir / "earpiece-agents.list"

    def _write_agent_list(self) -> None:
        self._agent_list.write_text("".join(f"1 {node} 9 0 duid=node{k};maxload={self.node_calls}\n"
                                            for k, node in enumerate(self.nodes)), encoding="utf-8")

    def set_node_calls(self, node_calls: int, timeout: float = 15.0) -> None:
        """From now on at most `node_calls` calls per node, as an admin changes it: the list is
        rewritten and reloaded (`kamcmd dispatcher.reload`), which puts the nodes out of rotation
        until they answer a probe again; returns once they have."""
        if node_calls == self.node_calls:
            return
        self.node_calls = node_calls
        self._write_agent_list()
        ups = [event for event, _ in self.node_events()].count("up")
        ctl = f"unix:{self._dir / 'kamailio_ctl'}"
        done = subprocess.run([KAMCMD, "-s", ctl, "dispatcher.reload"], capture_output=True, text=True,
                              timeout=10, check=False)
        if done.returncode != 0 or "reloaded" not in done.stdout:
            raise RuntimeError(f"dispatcher.reload failed: {done.stdout}{done.stderr}")
        if not wait_for(lambda: [e for e, _ in self.node_events()].count("up") >= ups + len(self.nodes),
                        timeout, 0.1):
            raise TimeoutError(f"the nodes did not come back after the reload:\n{self.log_text()[-3000:]}")

    def _write_config(self) -> Path:
        listen = f"{LOOPBACK}:{self.port}"
        agents = self._agent_list
        self._write_agent_list()
        defines = {"LINE_USER": _quote(self.line), "AGENT_LIST": _quote(str(agents)),
                   "CTL_SOCKET": _quote(f"unix:{self._dir / 'kamailio_ctl'}"), **self._timers}
        (self._dir / "earpiece-local.cfg").write_text(
            "\n".join([f"listen=udp:{listen}", f"listen=tcp:{listen}", f'alias="{listen}"',
                       f'mpath="{MODULES}"', *(f"#!define {name} {value}" for name, value in defines.items()),
                       ""]),
            encoding="utf-8",
        )
        accounts = f"route[ACCOUNTS] {{\n{_table_lines('accounts', self.users)}\n}}\n"
        (self._dir / "earpiece-accounts.cfg").write_text(accounts, encoding="utf-8")
        path = self._dir / DISPATCHER_CONFIG.name
        shutil.copyfile(DISPATCHER_CONFIG, path)
        return path

    def dispatched(self) -> list[Dispatched]:
        """Every INVITE for the line, with the node it was sent to (a retry on the next node is a
        second entry with the same Call-ID)."""
        return [Dispatched(*m.groups()) for m in _DISPATCH_LINE.finditer(self.log_text())]

    def node_events(self) -> list[tuple[str, str]]:
        """("up" | "down", node URI) in the order the dispatcher changed its mind about the nodes."""
        return [(m.group(1), m.group(2)) for m in _NODE_LINE.finditer(self.log_text())]

    def active_nodes(self) -> set[str]:
        state: dict[str, str] = {}
        for change, node in self.node_events():
            state[node] = change
        return {node for node, change in state.items() if change == "up"}

    def wait_nodes_up(self, count: int, timeout: float = 15.0) -> set[str]:
        if not wait_for(lambda: len(self.active_nodes()) >= count, timeout, 0.1):
            raise TimeoutError(f"only {sorted(self.active_nodes())} of {self.nodes} answered the "
                               f"dispatcher's OPTIONS probes within {timeout} s:\n{self.log_text()[-3000:]}")
        return self.active_nodes()
