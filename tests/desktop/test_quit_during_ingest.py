"""Quitting while the first run still ingests the sample knowledge base: the window shuts down within
seconds, nothing keeps ingesting or loading models behind it, and the next start opens the store
(no "store in use") and fills in the rest of the sample."""

from __future__ import annotations

import threading
import time

import pytest
import qasync
from pytestqt.qtbot import QtBot

from earpiece.core.knowledge import KnowledgeStore, Progress, ensure_sample_kb
from earpiece.desktop.tasks import spawn
from tests.desktop.windows import shown_window

pytestmark = [pytest.mark.gui, pytest.mark.models]


def test_quit_during_the_first_run_ingest_is_quick_and_leaves_the_store_free(
        qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    with shown_window(qtbot) as window:  # its own shutdown below is the test; the helper's finds it done
        seen: list[Progress] = []
        window.knowledge.ingest_progress.connect(seen.append)
        loads: list[str] = []
        window.ai.loading.connect(loads.append)
        spawn(window.start())
        qtbot.waitUntil(lambda: any(p.current is not None for p in seen), timeout=120_000)  # mid-ingest
        threads_before = {t.name for t in threading.enumerate()}
        started = time.monotonic()
        spawn(window.shutdown(quit_app=False))
        qtbot.waitUntil(lambda: window.phone.engine is None and window.models.store is None, timeout=30_000)
        took = time.monotonic() - started
        qtbot.wait(3000)  # anything still running behind the closed window would show now
        assert took < 10, f"quitting took {took:.1f} s"
        assert "Loading speech and knowledge models…" not in loads, "models were loaded after quitting"
        assert window.models.store is None
        extra = {t.name for t in threading.enumerate()} - threads_before
        assert not [name for name in extra if "asyncio" in name], extra
    store = KnowledgeStore(settings=window.settings.knowledge)  # free: no "in use by another process"
    try:
        info = ensure_sample_kb(store)  # the next start fills in the rest
        assert info.documents >= 5
    finally:
        store.close()
