"""The demo call for a newcomer with no SIP account: a second process (`earpiece demo-caller`)
calls this app over 127.0.0.1 and asks questions about the sample knowledge base; a temporary
direct-call account answers them automatically in autonomous mode."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys

from PySide6.QtCore import QObject, Signal

from earpiece.core.paths import data_dir
from earpiece.core.settings import AccountSettings, CallMode
from earpiece.desktop.phone import DEMO_ACCOUNT_ID, Phone

log = logging.getLogger(__name__)

DEMO_USER = "earpiece-demo"
DEMO_TIMEOUT_S = 300.0
FIRST_RUN_MARKER = "demo-offered"
CALLER_PREFIX = "demo: "

DEMO_ACCOUNT = AccountSettings(
    id=DEMO_ACCOUNT_ID,
    display_name="Earpiece demo",
    username=DEMO_USER,
    domain="127.0.0.1",
    registration=False,
    allow_direct_calls=True,  # the demo caller calls straight to our port; removed after the demo
    default_mode=CallMode.AUTONOMOUS,
    auto_answer_s=1.5,
)


def caller_command(target: str) -> list[str]:
    """The command that starts the demo caller (the frozen app is its own CLI)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "demo-caller", target]
    return [sys.executable, "-m", "earpiece", "demo-caller", target]


def first_run() -> bool:
    """True once: the first start on this machine (the demo is then offered by itself)."""
    marker = data_dir() / FIRST_RUN_MARKER
    if marker.exists():
        return False
    marker.write_text("1")
    return True


class DemoCall(QObject):
    status = Signal(str)  # lines from the demo caller
    finished = Signal(int)  # the caller's exit code

    def __init__(self, phone: Phone, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phone = phone
        self.process: subprocess.Popen[str] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None

    async def run(self) -> int:
        if self.process is not None or self.phone.engine is None:
            return -1
        if DEMO_ACCOUNT_ID not in self.phone.accounts:
            await self.phone.add_account(DEMO_ACCOUNT, password="")
        host, port = self.phone.local_sip_address()
        target = f"sip:{DEMO_USER}@{host}:{port}"
        self.status.emit("Demo call: starting the demo caller…")
        self.process = subprocess.Popen(
            caller_command(target), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        code = -1
        try:
            code = await asyncio.wait_for(self._follow(self.process), DEMO_TIMEOUT_S)
        except TimeoutError:
            self.status.emit("Demo call: the caller took too long and was stopped.")
        finally:
            self.stop()
            await self.phone.remove_account(DEMO_ACCOUNT_ID)
        self.finished.emit(code)
        return code

    async def _follow(self, process: subprocess.Popen[str]) -> int:
        assert process.stdout is not None
        while line := await asyncio.to_thread(process.stdout.readline):
            text = line.strip()
            if text.startswith(CALLER_PREFIX):  # the caller's story; the rest is its log
                self.status.emit(f"Demo caller: {text.removeprefix(CALLER_PREFIX)}")
            else:
                log.debug("demo caller: %s", text)
        return await asyncio.to_thread(process.wait)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if process.stdout is not None:
            process.stdout.close()
