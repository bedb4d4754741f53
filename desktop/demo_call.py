"""The demo call for a newcomer with no SIP account: a second process (`earpiece demo-caller`)
calls this app over 127.0.0.1 and asks questions about the sample knowledge base, on a temporary
direct-call account. In copilot mode the call rings, the agent answers it and suggestion cards
appear while the demo caller asks; in autonomous mode Earpiece answers and speaks itself."""

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
# Copilot: nobody greets the caller, and the agent reads the card instead of answering aloud (with
# no headset the caller hears nothing), so the caller waits briefly, then gives the agent time to read.
COPILOT_CALLER_OPTIONS = ("--greeting-timeout", "2", "--answer-timeout", "12")


def demo_account(mode: CallMode) -> AccountSettings:
    """Autonomous demo calls are answered by Earpiece; copilot ones ring until the agent answers."""
    if mode is CallMode.AUTONOMOUS:
        return DEMO_ACCOUNT
    return DEMO_ACCOUNT.model_copy(update={"default_mode": mode, "auto_answer_s": None})


def caller_command(target: str, mode: CallMode = CallMode.AUTONOMOUS) -> list[str]:
    """The command that starts the demo caller (the frozen app is its own CLI)."""
    options = list(COPILOT_CALLER_OPTIONS) if mode is not CallMode.AUTONOMOUS else []
    if getattr(sys, "frozen", False):
        return [sys.executable, "demo-caller", target, *options]
    return [sys.executable, "-m", "earpiece", "demo-caller", target, *options]


# The demo caller reports the end of the call from its own side of it.
_CALLER_SIDE_ENDINGS = {"hung up here": "the demo caller hung up",
                        "hung up by the other party": "you hung up"}


def caller_story(line: str) -> str:
    """A line of the demo caller's story as the agent reads it in the status bar."""
    reason = line.removeprefix("call ended: ")
    if reason != line:
        return f"call ended: {_CALLER_SIDE_ENDINGS.get(reason, reason)}"
    return line


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

    async def run(self, mode: CallMode = CallMode.AUTONOMOUS) -> int:
        if self.process is not None or self.phone.engine is None:
            return -1
        if DEMO_ACCOUNT_ID in self.phone.accounts:  # left over from a demo in the other mode
            await self.phone.remove_account(DEMO_ACCOUNT_ID)
        await self.phone.add_account(demo_account(mode), password="")
        host, port = self.phone.local_sip_address()
        target = f"sip:{DEMO_USER}@{host}:{port}"
        self.status.emit("Demo call (copilot): the phone will ring; answer it and watch the suggestions."
                         if mode is CallMode.COPILOT else "Demo call: starting the demo caller…")
        self.process = subprocess.Popen(
            caller_command(target, mode), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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
                self.status.emit(f"Demo caller: {caller_story(text.removeprefix(CALLER_PREFIX))}")
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
