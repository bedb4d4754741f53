"""The per-test qasync loop ends cleanly even when Python collects it on another thread: its Qt timers
(one stays for every cancelled callback until its time) must not outlive their object. When they did, a
later processEvents crashed the whole pytest process (SIGSEGV), so the check runs in a child process.
A wake-up a worker thread queued for the loop before it closed must not fail when it arrives."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.desktop.qasync_loop import close_loop, open_loop

ROOT = Path(__file__).resolve().parents[2]
DELAY_S = 0.3


def test_a_closed_loop_collected_on_another_thread_leaves_no_qt_timer_behind() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-m", "tests.desktop.test_qasync_loop"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "Timers cannot be stopped from another thread" not in run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stdout.splitlines() == ["events processed past the timer's time"]  # a closed loop runs nothing


def _collect_on_another_thread_then_run_qt() -> None:
    app = QApplication([sys.argv[0]])
    loop = open_loop(app)
    loop.call_later(DELAY_S, print, "a cancelled callback ran").cancel()  # its Qt timer stays registered
    worker = threading.Thread(target=loop.call_soon_threadsafe, args=(print, "a late wake-up ran"))
    worker.start()  # queued as a Qt event
    worker.join()
    close_loop(app, loop)
    app.processEvents()  # the wake-up arrives after the loop has closed
    del loop  # now only reference cycles hold it
    gc.disable()  # no collection on this thread before the other one's
    collector = threading.Thread(target=gc.collect)
    collector.start()
    collector.join()
    end = time.monotonic() + 2 * DELAY_S
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    print("events processed past the timer's time", flush=True)


if __name__ == "__main__":
    _collect_on_another_thread_then_run_qt()
