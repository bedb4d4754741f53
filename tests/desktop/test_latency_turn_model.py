"""The turn model's decision time is a stage of its own on the latency panel, in plain words, and
(being part of the endpoint delay) adds nothing to the bar's length."""

from __future__ import annotations

import pytest

from earpiece.core.engine.metrics import TurnMetrics
from earpiece.desktop.latency_panel import STAGE_COLOURS, STAGE_WORDS, bar_segments, latency_sample
from earpiece.desktop.latency_words import PHASES, phase_times

pytestmark = pytest.mark.gui


def test_the_turn_model_is_shown_inside_the_endpoint_delay() -> None:
    metrics = TurnMetrics(
        turn_id=1, mode="autonomous", speaker="caller", endpoint_delay_ms=260.0, turn_model_ms=55.0,
        stt_ms=120.0, retrieval_ms=20.0, llm_ttft_ms=100.0, tts_ttfb_ms=150.0, voice_to_voice_ms=560.0,
    )
    sample = latency_sample(metrics)
    assert [name for name, _ in sample.stages][:2] == ["endpoint delay", "turn model"]
    widths = {name: width for name, _ms, width in bar_segments(sample)}
    assert widths["turn model"] == 0.0 and widths["endpoint delay"] == 260.0
    assert sum(widths.values()) == pytest.approx(560.0)  # the bar is exactly voice-to-voice long
    assert phase_times(sample)["listening"] == pytest.approx(260.0)
    assert "turn model" in STAGE_COLOURS and "turn model" in STAGE_WORDS
    assert PHASES["turn model"] == "listening"
