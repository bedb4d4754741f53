"""The latency panel and strip follow the engine's turn records, in plain words, with this call's
figures apart from the session's."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from earpiece.core.engine.metrics import TurnMetrics
from earpiece.desktop.ai_calls import latency_sample
from earpiece.desktop.latency_panel import LatencyPanel, bar_segments
from earpiece.desktop.latency_strip import LatencyStrip
from earpiece.desktop.latency_words import strip_text

pytestmark = pytest.mark.gui

JARGON = ("v2v", "TTFT", "TTFB", "STT", "p50", "p95", "LLM")


def turn(turn_id: int, v2v: float, *, stt: float = 900.0) -> TurnMetrics:
    return TurnMetrics(
        turn_id=turn_id, mode="autonomous", speaker="caller", endpoint_delay_ms=600.0, stt_ms=stt,
        retrieval_ms=20.0, llm_ttft_ms=300.0, tts_ttfb_ms=v2v - stt - 320.0, voice_to_voice_ms=v2v,
        providers={"stt": "faster-whisper", "llm": "groq", "tts": "piper"},
    )


def visible_words(panel: LatencyPanel) -> str:
    legend = " ".join(label.text for _sample, label in panel.bar_legend.items)
    axes = " ".join(panel.trend_plot.getAxis(side).labelText for side in ("left", "bottom"))
    lines = " ".join(line.label.toPlainText() for line in (panel.p50_line, panel.p95_line))
    return " ".join((panel.summary.text(), panel.session_summary.text(), panel.providers.text(),
                     legend, axes, lines, panel.bar_plot.getAxis("bottom").labelText))


def test_panel_updates_from_turn_records_in_plain_words(qtbot: QtBot) -> None:
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    for n, v2v in enumerate((1500.0, 2500.0, 1700.0, 1900.0), start=1):
        panel.add_sample(latency_sample(turn(n, v2v)))

    assert list(panel.recent) == [1500.0, 2500.0, 1700.0, 1900.0]
    assert panel.summary.text() == ("This call: last 1.9 s, median 1.8 s, slowest 5 % above 2.4 s "
                                    "(4 answers)")
    assert panel.p50_line.value() == pytest.approx(1800.0)
    assert panel.p95_line.value() == pytest.approx(2410.0)
    x, y = panel.trend_curve.getData()
    assert list(y) == [1500.0, 2500.0, 1700.0, 1900.0] and list(x) == [1, 2, 3, 4]
    legend = [label.text for _sample, label in panel.bar_legend.items]
    assert legend == ["waiting for the caller to finish 600", "transcribing 900",
                      "searching the knowledge base 20", "composing the first words 300",
                      "first sound of the voice 680"]
    assert panel.providers.text() == ("Served by: speech recognition faster-whisper, language model groq, "
                                      "voice piper")
    words = visible_words(panel)
    assert not [j for j in JARGON if j in words], words


def test_figures_are_right_after_one_answer_and_turns_are_whole_numbers(qtbot: QtBot) -> None:
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.add_sample(latency_sample(turn(1, 2025.0)))
    assert panel.p50_line.label.toPlainText() == "median 2025 ms"
    assert panel.p95_line.label.toPlainText() == "slowest 5 % 2025 ms"
    ticks = panel.trend_plot.getAxis("bottom")._tickLevels
    assert ticks is not None and [label for _value, label in ticks[0]] == ["1"]
    for n in range(2, 24):
        panel.add_sample(latency_sample(turn(n, 2000.0 + n)))
    labels = [label for _value, label in panel.trend_plot.getAxis("bottom")._tickLevels[0]]
    assert labels == [str(n) for n in range(1, 24, 3)]  # whole numbers, about ten of them


def test_each_call_has_its_own_figures_and_the_session_keeps_all(qtbot: QtBot) -> None:
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    panel.add_sample(latency_sample(turn(1, 3000.0)))
    panel.add_sample(latency_sample(turn(2, 5000.0)))
    panel.new_call()
    assert panel.summary.text() == "This call: no answers yet."
    panel.add_sample(latency_sample(turn(1, 1000.0)))
    assert panel.summary.text().startswith("This call: last 1.0 s, median 1.0 s")
    assert "(1 answer)" in panel.summary.text()
    assert panel.session_summary.text().startswith("This session (all calls): last 1.0 s, median 3.0 s")
    assert "(3 answers)" in panel.session_summary.text()


def test_strip_says_the_answer_time_in_plain_words_and_opens_the_panel(qtbot: QtBot) -> None:
    sample = latency_sample(TurnMetrics(
        turn_id=1, mode="autonomous", speaker="caller", endpoint_delay_ms=600.0, stt_ms=450.0,
        retrieval_ms=50.0, llm_ttft_ms=150.0, tts_ttfb_ms=100.0, voice_to_voice_ms=900.0))
    assert strip_text(sample) == "answered in 0.9 s: listening 0.6, understanding 0.2, speaking 0.1"
    strip = LatencyStrip()
    qtbot.addWidget(strip)
    strip.show_sample(sample)
    assert strip.text.text() == "Answered in 0.9 s: listening 0.6, understanding 0.2, speaking 0.1"
    with qtbot.waitSignal(strip.details_toggled) as toggled:
        strip.details.click()
    assert toggled.args == [True]


def test_stt_overlapping_the_endpoint_delay_is_not_counted_twice() -> None:
    late = {name: width for name, _ms, width in bar_segments(latency_sample(turn(1, 2000.0)))}
    assert late["endpoint delay"] == 600.0 and late["STT"] == 300.0  # only the part after the endpoint
    assert sum(late.values()) == pytest.approx(2000.0)  # the bar is exactly voice-to-voice long
    early = turn(2, 1400.0, stt=450.0)  # transcribed during the end-of-turn silence
    early.tts_ttfb_ms = 400.0  # 600 + 20 + 300 + 400 = 1320: 80 ms unexplained
    widths = {name: width for name, _ms, width in bar_segments(latency_sample(early))}
    assert widths["STT"] == 0.0
    assert widths["other"] == pytest.approx(80.0)
    assert sum(widths.values()) == pytest.approx(1400.0)
