"""Latency panel: the last answer as a stacked bar by stage, the answer time of this call's turns
with its median and 95th percentile, the same figures for the whole session kept apart, and which
provider served each stage. Plain words on screen (see `latency_words`)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from earpiece.core.engine.metrics import TurnMetrics

RECENT_TURNS = 50
PROVIDER_ROLES = {"stt": "speech recognition", "llm": "language model", "tts": "voice"}
# Colour per stage (colour-blind friendly Okabe-Ito); unknown stages get grey.
STAGE_COLOURS = {
    "endpoint delay": "#E69F00",
    "turn model": "#F0E442",
    "STT": "#56B4E9",
    "retrieval": "#009E73",
    "LLM TTFT": "#D55E00",
    "TTS TTFB": "#CC79A7",
    "other": "#999999",
}
# Stages timed inside the endpoint delay (shown, but adding nothing to the bar's length).
INSIDE_ENDPOINT = frozenset({"turn model"})
# The engine's stage labels (core/engine/metrics.STAGE_LABELS) in plain words.
STAGE_WORDS = {
    "endpoint delay": "waiting for the caller to finish",
    "turn model": "deciding the caller had finished",
    "STT": "transcribing",
    "retrieval": "searching the knowledge base",
    "LLM TTFT": "composing the first words",
    "TTS TTFB": "first sound of the voice",
    "other": "other",
}


@dataclass(frozen=True, slots=True)
class LatencySample:
    """One turn as the panel needs it; `stages` in pipeline order, all in milliseconds."""

    voice_to_voice_ms: float
    stages: tuple[tuple[str, float], ...] = ()
    providers: dict[str, str] = field(default_factory=dict)


def latency_sample(metrics: TurnMetrics) -> LatencySample:
    providers = {PROVIDER_ROLES.get(stage, stage): name for stage, name in metrics.providers.items()}
    return LatencySample(metrics.voice_to_voice_ms or 0.0, metrics.stages(), providers)


def bar_segments(sample: LatencySample) -> list[tuple[str, float, float]]:
    """(stage, its own ms, width on the bar). STT is measured from end-of-speech, so it overlaps
    the endpoint delay: only the part after the endpoint gets its own width (0 when transcribed
    early, during the silence). The turn model decides inside the endpoint delay: no width of its
    own. Whatever voice-to-voice leaves unexplained is "other"."""
    stages = dict(sample.stages)
    segments = []
    for name, ms in sample.stages:
        if name == "STT":
            width = max(0.0, ms - stages.get("endpoint delay", 0.0))
        else:
            width = 0.0 if name in INSIDE_ENDPOINT else ms
        segments.append((name, ms, width))
    rest = sample.voice_to_voice_ms - sum(width for _, _, width in segments)
    if rest > 1:
        segments.append(("other", rest, rest))
    return segments


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else 0.0


def stats_text(values: list[float]) -> str:
    """"last 2.0 s, median 1.8 s, slowest 5 % above 2.4 s (4 answers)"; correct from one answer on."""
    if not values:
        return "no answers yet"
    count = f"{len(values)} answer" + ("s" if len(values) != 1 else "")
    return (f"last {values[-1] / 1000:.1f} s, median {percentile(values, 50) / 1000:.1f} s, "
            f"slowest 5 % above {percentile(values, 95) / 1000:.1f} s ({count})")


class LatencyPanel(QWidget):
    """Fed by `add_sample`; `new_call` starts the per-call figures, the session's go on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recent: deque[float] = deque(maxlen=RECENT_TURNS)  # this call
        self.session: list[float] = []  # every answer since the app started
        self.last: LatencySample | None = None
        pg.setConfigOptions(antialias=True, background=None)
        colours = self.palette()
        foreground = colours.color(QPalette.ColorRole.WindowText)

        self.bar_plot = pg.PlotWidget()
        self.bar_plot.setBackground(colours.color(QPalette.ColorRole.Base))
        self.bar_plot.setMaximumHeight(130)
        self.bar_plot.hideAxis("left")
        self.bar_plot.setLabel("bottom", "last answer (ms)", color=foreground)
        self.bar_plot.setMouseEnabled(x=False, y=False)
        self.bar_plot.setMenuEnabled(False)
        self.bar_legend = self.bar_plot.addLegend(offset=(5, 5), colCount=3, labelTextColor=foreground)

        self.trend_plot = pg.PlotWidget()
        self.trend_plot.setBackground(colours.color(QPalette.ColorRole.Base))
        self.trend_plot.setLabel("left", "ms", color=foreground)
        self.trend_plot.setMinimumHeight(90)
        self.trend_plot.setLabel("bottom", "question in this call", color=foreground)
        self.trend_plot.setMouseEnabled(x=False, y=False)
        self.trend_plot.setMenuEnabled(False)
        self.trend_curve = self.trend_plot.plot([], [], pen=pg.mkPen("#0072B2", width=2), symbol="o",
                                                symbolSize=6, symbolBrush="#0072B2")
        self.p50_line = self._percentile_line("median", "#009E73", 0.1)
        self.p95_line = self._percentile_line("slowest 5 %", "#D55E00", 0.3)
        for line in (self.p50_line, self.p95_line):
            line.setVisible(False)
            self.trend_plot.addItem(line)

        self.summary = QLabel("No answers yet: timings appear after the first answer.")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.session_summary = QLabel("")
        self.session_summary.setTextFormat(Qt.TextFormat.PlainText)
        self.session_summary.setWordWrap(True)
        self.providers = QLabel("")
        self.providers.setTextFormat(Qt.TextFormat.PlainText)
        self.providers.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.session_summary)
        layout.addWidget(self.bar_plot)
        layout.addWidget(self.trend_plot, 1)
        layout.addWidget(self.providers)

    def _percentile_line(self, name: str, colour: str, label_at: float) -> pg.InfiniteLine:
        return pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen(colour, style=Qt.PenStyle.DashLine),
            label=name + " {value:.0f} ms",
            labelOpts={"position": label_at, "color": colour},
        )

    def new_call(self) -> None:
        """A new call: its own figures start empty; the session's are kept."""
        self.recent.clear()
        self.last = None
        self.bar_plot.clear()
        self.bar_legend.clear()
        self.trend_curve.setData([], [])
        for line in (self.p50_line, self.p95_line):
            line.setVisible(False)
        self.summary.setText("This call: no answers yet.")

    def add_sample(self, sample: LatencySample) -> None:
        self.last = sample
        self.recent.append(sample.voice_to_voice_ms)
        self.session.append(sample.voice_to_voice_ms)
        self._draw_bar(sample)
        self._draw_trend()
        self.providers.setText(
            "Served by: " + ", ".join(f"{role} {name}" for role, name in sample.providers.items())
            if sample.providers else ""
        )

    def _draw_bar(self, sample: LatencySample) -> None:
        self.bar_plot.clear()
        self.bar_legend.clear()
        start = 0.0
        segments = bar_segments(sample)
        for name, ms, width in segments:
            colour = STAGE_COLOURS.get(name, "#999999")
            bar = pg.BarGraphItem(x0=[start], width=[width], y=[0], height=[0.6], brush=colour, pen=None)
            self.bar_plot.addItem(bar)
            self.bar_legend.addItem(bar, f"{STAGE_WORDS.get(name, name)} {ms:.0f}")
            start += width
        self.bar_plot.setYRange(-0.4, 2.6, padding=0)  # the legend's two rows above the bar
        self.bar_plot.setXRange(0, max(start, sample.voice_to_voice_ms, 1.0), padding=0.02)

    def _draw_trend(self) -> None:
        values = list(self.recent)
        self.trend_curve.setData(np.arange(1, len(values) + 1), np.asarray(values))
        step = max(1, -(-len(values) // 10))  # at most ~10 whole-number ticks
        self.trend_plot.getAxis("bottom").setTicks(
            [[(n, str(n)) for n in range(1, len(values) + 1, step)], []])
        for line, q in ((self.p50_line, 50), (self.p95_line, 95)):
            line.setVisible(True)  # first: an invisible line's label ignores new values
            line.setValue(percentile(values, q))
        self.summary.setText(f"This call: {stats_text(values)}")
        self.session_summary.setText(f"This session (all calls): {stats_text(self.session)}")
