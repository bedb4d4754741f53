"""The latency panel follows the engine's turn records."""

from __future__ import annotations

import pytest

from earpiece.core.engine.metrics import TurnMetrics
from earpiece.desktop.ai_calls import latency_sample
from earpiece.desktop.latency_panel import LatencyPanel, bar_segments

pytestmark = pytest.mark.gui


def turn(turn_id: int, v2v: float, *, stt: float = 900.0) -> TurnMetrics:
    return TurnMetrics(
        turn_id=turn_id, mode="autonomous", speaker="caller", endpoint_delay_ms=600.0, stt_ms=stt,
        retrieval_ms=20.0, llm_ttft_ms=300.0, tts_ttfb_ms=v2v - stt - 320.0, voice_to_voice_ms=v2v,
        providers={"stt": "faster-whisper", "llm": "groq", "tts": "piper"},
    )


def test_panel_updates_from_turn_records(qtbot):
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    for n, v2v in enumerate((1500.0, 2500.0, 1700.0, 1900.0), start=1):
        panel.add_sample(latency_sample(turn(n, v2v)))

    assert list(panel.recent) == [1500.0, 2500.0, 1700.0, 1900.0]
    assert "last 1900 ms" in panel.summary.text() and "p50 1800 ms" in panel.summary.text()
    assert panel.p50_line.value() == pytest.approx(1800.0)
    assert panel.p95_line.value() == pytest.approx(2410.0)
    x, y = panel.trend_curve.getData()
    assert list(y) == [1500.0, 2500.0, 1700.0, 1900.0] and list(x) == [1, 2, 3, 4]
    legend = [label.text for _sample, label in panel.bar_legend.items]
    assert legend == ["endpoint delay 600", "STT 900", "retrieval 20", "LLM TTFT 300", "TTS TTFB 680"]
    assert panel.providers.text() == "Providers: STT: faster-whisper, LLM: groq, TTS: piper"


def test_stt_overlapping_the_endpoint_delay_is_not_counted_twice():
    late = {name: width for name, _ms, width in bar_segments(latency_sample(turn(1, 2000.0)))}
    assert late["endpoint delay"] == 600.0 and late["STT"] == 300.0  # only the part after the endpoint
    assert sum(late.values()) == pytest.approx(2000.0)  # the bar is exactly voice-to-voice long
    early = turn(2, 1400.0, stt=450.0)  # transcribed during the end-of-turn silence
    early.tts_ttfb_ms = 400.0  # 600 + 20 + 300 + 400 = 1320: 80 ms unexplained
    widths = {name: width for name, _ms, width in bar_segments(latency_sample(early))}
    assert widths["STT"] == 0.0
    assert widths["other"] == pytest.approx(80.0)
    assert sum(widths.values()) == pytest.approx(1400.0)
