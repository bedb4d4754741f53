"""baresip 1.0 as an independent softphone, scripted over its `ctrl_tcp` socket.

    with Baresip("bob", "pw", registrar=kamailio, source_wav=tone) as bob:
        bob.wait_event("REGISTER_OK")
        bob.command("dial", "sip:alice@127.0.0.1:5060")
        bob.wait_event("CALL_ESTABLISHED")
        bob.command("sndcode", "5")            # RFC 4733 DTMF
        bob.recordings()                       # sndfile dumps: *-enc.wav (sent), *-dec.wav (heard)

Events are the JSON objects baresip sends (`type`, `param`, `peeruri`, ...).
"""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import tempfile
import threading
import time
import wave
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.peers.kamailio import Kamailio
from tests.peers.process import LOOPBACK, PeerProcess, free_port, wait_for

BARESIP = "/usr/bin/baresip"
MODULES = "/usr/lib/baresip/modules"


class _PortTaken(RuntimeError):
    """baresip could not bind one of its ports."""


def _netstring(payload: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + b","


class Baresip:
    def __init__(
        self,
        user: str,
        password: str = "",
        registrar: Kamailio | None = None,
        *,
        source_wav: Path | None = None,
        auto_answer: bool = False,
        media_encryption: str = "",
    ) -> None:
        self.user = user
        self.dir = Path(tempfile.mkdtemp(prefix=f"earpiece-baresip-{user}-"))
        self.record_dir = self.dir / "recordings"
        self.record_dir.mkdir()
        self.registrar = registrar
        self._params = [f"auth_pass={password}", "regint=60"] if registrar else ["regint=0"]
        if auto_answer:
            self._params.append("answermode=auto")
        if media_encryption:  # srtp (optional), srtp-mand (RTP/SAVP), srtp-mandf (RTP/SAVPF)
            self._params.append(f"mediaenc={media_encryption}")
        self._media_encryption = media_encryption
        (self.dir / "contacts").write_text("")
        if source_wav is None:  # aufile needs a real WAV at the codec rate (G.722: 16 kHz)
            source_wav = self.dir / "silence.wav"
            with wave.open(str(source_wav), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(16000)
                out.writeframes(bytes(16000 * 2 * 60))
        self._source_wav = source_wav
        self._choose_ports()
        self.events: list[dict[str, Any]] = []
        self._responses: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._tokens = itertools.count(1)
        self._proc: PeerProcess | None = None
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None

    def _choose_ports(self) -> None:
        """Free ports, and the `accounts` and `config` files that name them."""
        self.sip_port = free_port()
        self.ctrl_port = free_port(udp=False)
        registrar = self.registrar
        domain = f"{registrar.domain}:{registrar.port}" if registrar else f"{LOOPBACK}:{self.sip_port}"
        self.aor = f"sip:{self.user}@{domain}"
        (self.dir / "accounts").write_text(f"<{self.aor}>;" + ";".join(self._params) + "\n")
        (self.dir / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen {LOOPBACK}:{self.sip_port}",
                    f"module_path {MODULES}",
                    "module g722.so",
                    "module g711.so",
                    "module aufile.so",
                    "module sndfile.so",
                    *(["module srtp.so"] if self._media_encryption else []),
                    "module_app account.so",
                    "module_app contact.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen {LOOPBACK}:{self.ctrl_port}",
                    f"audio_source aufile,{self._source_wav}",
                    "audio_player aufile,/dev/null",
                    "audio_alert aufile,/dev/null",
                    f"snd_path {self.record_dir}",
                    "rtp_ports 20000-60000",
                    "",
                ]
            )
        )

    def start(self, timeout: float = 10.0, attempts: int = 3) -> None:
        """Start baresip; its TLS transport also binds sip_port + 1 (TCP), which other processes may
        hold by chance: on "Address already in use" it starts again on other ports."""
        for attempt in range(attempts):
            try:
                self._start(timeout)
                return
            except _PortTaken:
                if attempt == attempts - 1:
                    raise
                self._choose_ports()

    def _start(self, timeout: float) -> None:
        (self.dir / "baresip.log").unlink(missing_ok=True)
        self._proc = PeerProcess([BARESIP, "-f", str(self.dir)], self.dir / "baresip.log", cwd=self.dir)
        sock = socket.socket()
        connected = wait_for(
            lambda: (
                self._proc is not None
                and (not self._proc.alive() or sock.connect_ex((LOOPBACK, self.ctrl_port)) == 0)
            ),
            timeout,
            0.05,
        )
        if not connected or not self._proc.alive():
            sock.close()
            log = self._proc.log_text()
            self._proc.stop()
            self._proc = None
            if "Address already in use" in log:
                raise _PortTaken(log[-3000:])
            raise RuntimeError(f"baresip did not start:\n{log[-3000:]}")
        self._sock = sock
        self._reader = threading.Thread(target=self._read, name=f"baresip-{self.user}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        sock = self._sock
        assert sock is not None
        buffer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b":" in buffer:
                length_text, _, rest = buffer.partition(b":")
                length = int(length_text)
                if len(rest) < length + 1:
                    break
                message = json.loads(rest[:length])
                buffer = rest[length + 1 :]
                with self._cond:
                    if message.get("event"):
                        self.events.append(message)
                    elif "token" in message:
                        self._responses[str(message["token"])] = message
                    self._cond.notify_all()

    def command(self, name: str, params: str = "", timeout: float = 5.0) -> dict[str, Any]:
        """Run a baresip long command (dial, accept, hangup, hold, resume, sndcode, transfer...)."""
        assert self._sock is not None
        token = str(next(self._tokens))
        payload = json.dumps({"command": name, "params": params, "token": token}).encode()
        self._sock.sendall(_netstring(payload))
        with self._cond:
            if not self._cond.wait_for(lambda: token in self._responses, timeout):
                raise TimeoutError(f"baresip gave no answer to {name} {params}")
            return self._responses.pop(token)

    def wait_event(self, kind: str, timeout: float = 10.0, since: int = 0, **fields: str) -> dict[str, Any]:
        """The first event of `kind` (at index >= `since`) whose fields contain the given values."""

        def find() -> dict[str, Any] | None:
            for event in self.events[since:]:
                if event.get("type") == kind and all(
                    str(event.get(k, "")).find(v) >= 0 for k, v in fields.items()
                ):
                    return event
            return None

        with self._cond:
            if not self._cond.wait_for(lambda: find() is not None, timeout):
                seen = [e.get("type") for e in self.events]
                log = [line for line in self.log_text().splitlines() if line and not line.startswith("[0:")]
                raise TimeoutError(
                    f"baresip {self.user}: no {kind} {fields} within {timeout} s; saw {seen}\n"
                    "log tail:\n" + "\n".join(log[-25:])
                )
            found = find()
            assert found is not None
            return found

    def event_count(self) -> int:
        with self._cond:
            return len(self.events)

    def recordings(self, direction: str = "dec") -> list[Path]:
        """WAV dumps of finished calls: "dec" = what baresip heard, "enc" = what it sent."""
        return sorted(self.record_dir.glob(f"*-{direction}.wav"))

    def log_text(self) -> str:
        return self._proc.log_text() if self._proc else ""

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            self._proc.stop(timeout=3)
            self._proc = None

    def __enter__(self) -> Baresip:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_seconds(seconds: float) -> None:
    time.sleep(seconds)
