"""Screenshots of the main views with realistic content, at 1024x640 and 1920x1080, and of the
Settings dialog: `python -m tests.desktop.shoot_views OUT_DIR` (QT_SCALE_FACTOR=2 for 200 %).
Prints one JSON line per shot with the window's minimum size, so a test can tell whether the
layout fits."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from earpiece.core.engine.events import Speaker, TranscriptEvent, TurnMetricsEvent
from earpiece.core.engine.metrics import TurnMetrics
from earpiece.core.engine.record import CallRecorder
from earpiece.core.settings import AccountSettings, Settings, SettingsStore
from earpiece.desktop.copilot_panel import SourceView, SuggestionView
from earpiece.desktop.latency_panel import latency_sample
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.settings.dialog import SettingsDialog
from earpiece.sip.events import CallDirection
from earpiece.sip.records import CallHistory, CallRecord

SIZES = ((1024, 640), (1920, 1080))
TITLE_BAR = 40  # what a window manager may add above a dialog


def saved_call(call_id: str) -> None:
    """A call record as a copilot session writes it (transcript and one answered turn)."""
    recorder = CallRecorder(call_id, "copilot")
    start = recorder._t0
    for at, speaker, text in ((3.1, Speaker.CALLER, "Hi, how much does delivery cost to Scotland?"),
                              (6.4, Speaker.AGENT, "Let me check that for you."),
                              (9.0, Speaker.AGENT, "Standard delivery is 4.95 and free above 50.")):
        recorder.observe(TranscriptEvent(speaker, text, True, start + at, 1))
    recorder.observe(TurnMetricsEvent(TurnMetrics(
        turn_id=1, mode="copilot", speaker="caller", question="How much does delivery cost to Scotland?",
        answer="Standard delivery costs 4.95 within the UK, free above 50.", endpoint_delay_ms=600.0,
        stt_ms=500.0, retrieval_ms=40.0, llm_ttft_ms=160.0, tts_ttfb_ms=100.0, voice_to_voice_ms=900.0,
        sources=["faq.csv", "products-and-prices.md"])))
    recorder.save("remote")


def fill(window: MainWindow) -> None:
    now = time.time()
    saved_call("c0")
    history = CallHistory()
    for n, (uri, reason) in enumerate((("sip:0612345678@pbx.example", "hung up by the other party"),
                                       ("sip:support@pbx.example", "hung up here"),
                                       ("sip:alice@pbx.example", "busy (486)"))):
        history.append(CallRecord(f"c{n}", "desk", CallDirection.INBOUND, uri, "", now - 900 * (n + 1),
                                  now - 900 * (n + 1) + 3, now - 900 * n - 400, 200, reason))
    window.history.show_history(history.load())
    window.copilot.show_call("Alice <sip:alice@pbx.example>", "copilot")
    for speaker, text in (("caller", "Hi, how much does delivery cost to Scotland?"),
                          ("agent", "Let me check that for you."),
                          ("caller", "And how long do I have to return the machine if I don't like it?")):
        window.copilot.add_transcript(speaker, text)
    window.copilot.add_suggestion(SuggestionView(
        "Standard delivery costs 4.95 within the UK, free above 50.", "How much does delivery cost?",
        (SourceView("faq — How much does delivery cost?", "faq.md", 0.82),), confidence=0.86))
    window.copilot.add_suggestion(SuggestionView(
        "", "Do you deliver to the Faroe Islands?",
        (SourceView("shipping — countries", "shipping.md", 0.41),), confidence=0.18))
    window.copilot.add_suggestion(SuggestionView(
        "You can return any product within 30 days for a full refund.", "How long can I return it?",
        (SourceView("returns policy", "returns.md", 0.77),), confidence=0.74))
    for n, v2v in enumerate((900.0, 1300.0, 1100.0), start=1):
        sample = latency_sample(TurnMetrics(
            turn_id=n, mode="copilot", speaker="caller", endpoint_delay_ms=600.0, stt_ms=500.0,
            retrieval_ms=40.0, llm_ttft_ms=160.0, tts_ttfb_ms=v2v - 800.0, voice_to_voice_ms=v2v,
            providers={"stt": "faster-whisper", "llm": "offline", "tts": "piper"}))
        window.latency.add_sample(sample)
        window.latency_strip.show_sample(sample)


def shoot_settings(app: QCoreApplication, window: MainWindow, out: Path, suffix: str) -> None:
    """The Settings dialog on its longest page (Accounts, with an account): it must fit a 1024x640
    screen with room for a title bar (`fits`)."""
    settings = window.settings.model_copy(deep=True)
    settings.sip.accounts = [AccountSettings(id="office", username="agent", domain="pbx.example")]
    dialog = SettingsDialog(SettingsStore(settings), window, ["sample", "returns"])
    dialog.show()
    for _ in range(5):
        app.processEvents()
    path = out / f"desktop-settings-accounts{suffix}.png"
    dialog.grab().save(str(path))
    hint = dialog.minimumSizeHint()
    print(json.dumps({"path": str(path), "fits": [SIZES[0][0], SIZES[0][1] - TITLE_BAR],
                      "width": dialog.width(), "height": dialog.height(),
                      "min_width": hint.width(), "min_height": hint.height()}), flush=True)
    dialog.reject()


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = MainWindow(Settings())
    window.show()
    fill(window)
    scale = os.environ.get("QT_SCALE_FACTOR", "1")
    suffix = "" if scale in ("", "1") else f"-x{scale}"
    views = {"call": window.call_tab, "history": window.history, "knowledge": window.knowledge}
    for width, height in SIZES:
        window.resize(width, height)
        for name, view in views.items():
            window.tabs.setCurrentWidget(view)
            if name == "call":
                window.latency_strip.details.setChecked(width > 1200)  # the full panel at the big size
            for _ in range(5):
                app.processEvents()
            path = out / f"desktop-{name}-{width}x{height}{suffix}.png"
            window.grab().save(str(path))
            hint = window.minimumSizeHint()
            print(json.dumps({"path": str(path), "wanted": [width, height],
                              "width": window.width(), "height": window.height(),
                              "min_width": hint.width(), "min_height": hint.height()}), flush=True)
    shoot_settings(app, window, out, suffix)
    window.tabs.setCurrentWidget(window.history)
    window.history.open_call(window.history.records.index(next(r for r in window.history.records
                                                                 if r.call_id == "c0")))
    detail = window.history.detail
    assert detail is not None
    for _ in range(5):
        app.processEvents()
    path = out / f"desktop-call-detail{suffix}.png"
    detail.grab().save(str(path))
    detail.tabs.setCurrentIndex(1)
    for _ in range(5):
        app.processEvents()
    detail.grab().save(str(out / f"desktop-call-detail-answers{suffix}.png"))
    window.tray.hide()
    return 0


if __name__ == "__main__":
    sys.exit(main())
