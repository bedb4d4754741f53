"""A turn's latency in the agent's words: "answered in 0.9 s: listening 0.6, understanding 0.2,
speaking 0.1". Listening is waiting for the caller to finish plus transcribing what was left;
understanding is the knowledge search and the model's first words; speaking is the voice's first
sound (and whatever the stages do not explain)."""

from __future__ import annotations

from earpiece.desktop.latency_panel import LatencySample, bar_segments

# Which phase each stage of core/engine/metrics.STAGE_LABELS belongs to.
PHASES = {
    "endpoint delay": "listening",
    "turn model": "listening",
    "STT": "listening",
    "retrieval": "understanding",
    "LLM TTFT": "understanding",
    "TTS TTFB": "speaking",
    "other": "speaking",
}
PHASE_ORDER = ("listening", "understanding", "speaking")


def seconds(ms: float) -> str:
    return f"{ms / 1000:.1f}"


def phase_times(sample: LatencySample) -> dict[str, float]:
    """Milliseconds per phase; they add up to the turn's answer time (overlaps counted once)."""
    phases = dict.fromkeys(PHASE_ORDER, 0.0)
    for name, _ms, width in bar_segments(sample):
        phases[PHASES.get(name, "speaking")] += width
    return phases


def strip_text(sample: LatencySample) -> str:
    phases = phase_times(sample)
    parts = ", ".join(f"{name} {seconds(ms)}" for name, ms in phases.items())
    return f"answered in {seconds(sample.voice_to_voice_ms)} s: {parts}"
