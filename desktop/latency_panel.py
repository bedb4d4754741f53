"""Latency panel: the last turn as a stacked bar by stage, voice-to-voice over recent turns with
p50/p95, and which provider served each stage. Vocabulary as in the product notes."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

RECENT_TURNS = 50
# Colour per stage (colour-blind friendly Okabe-Ito); unknown stages get grey.
STAGE_COLOURS = {
    "endpoint delay": "#E69F00",
    "STT": "#56B4E9",
    "retrieval": "#009E73",
    "LLM TTFT": "#D55E00",
    "TTS TTFB": "#CC79A7",
    "other": "#999999",
}


@dataclass(frozen=True, slots=True)
class LatencySample:
    """One turn as the panel needs it; `stages` in pipeline order, all in milliseconds."""

    voice_to_voice_ms: float
    stages: tuple[tuple[str, float], ...] = ()
    providers: dict[str, str] = field(default_factory=dict)


def bar_segments(sample: LatencySample) -> list[tuple[str, float, float]]:
    """(stage, its own ms, width on the bar). STT is measured from end-of-speech, so it overlaps
    the endpoint delay: only the part after the endpoint gets its own width (0 when transcribed
    early, during the silence). Whatever voice-to-voice leaves unexplained is "other"."""
    stages = dict(sample.stages)
    segments = []
    for name, ms in sample.stages:
        width = max(0.0, ms - stages.get("endpoint delay", 0.0)) if name == "STT" else ms
        segments.append((name, ms, width))
    rest = sample.voice_to_voice_ms - sum(width for _, _, width in segments)
    if rest > 1:
        segments.append(("other", rest, rest))
    return segments


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else 0.0


class LatencyPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recent: deque[float] = deque(maxlen=RECENT_TURNS)
        self.last: LatencySample | None = None
        pg.setConfigOptions(antialias=True, background=None)
        colours = self.palette()
        foreground = colours.color(QPalette.ColorRole.WindowText)

        self.bar_plot = pg.PlotWidget()
        self.bar_plot.setBackground(colours.color(QPalette.ColorRole.Base))
        self.bar_plot.setMaximumHeight(110)
        self.bar_plot.hideAxis("left")
        self.bar_plot.setLabel("bottom", "last turn (ms)", color=foreground)
        self.bar_plot.setMouseEnabled(x=False, y=False)
        self.bar_plot.setMenuEnabled(False)
        self.bar_legend = self.bar_plot.addLegend(offset=(5, 5), colCount=6, labelTextColor=foreground)

        self.trend_plot = pg.PlotWidget()
        self.trend_plot.setBackground(colours.color(QPalette.ColorRole.Base))
        self.trend_plot.setLabel("left", "v2v (ms)", color=foreground)
        self.trend_plot.setMinimumHeight(160)
        self.trend_plot.setLabel("bottom", "turn", color=foreground)
        self.trend_plot.setMouseEnabled(x=False, y=False)
        self.trend_plot.setMenuEnabled(False)
        self.trend_curve = self.trend_plot.plot([], [], pen=pg.mkPen("#0072B2", width=2), symbol="o",
                                                symbolSize=6, symbolBrush="#0072B2")
        self.p50_line = self._percentile_line("p50", "#009E73", 0.1)
        self.p95_line = self._percentile_line("p95", "#D55E00", 0.3)
        for line in (self.p50_line, self.p95_line):
            line.setVisible(False)
            self.trend_plot.addItem(line)

        self.summary = QLabel("No turns yet: latency appears after the first answer.")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.providers = QLabel("")
        self.providers.setTextFormat(Qt.TextFormat.PlainText)
        self.providers.setWordWrap(True)

        header = QHBoxLayout()
        header.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
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

    def add_sample(self, sample: LatencySample) -> None:
        self.last = sample
        self.recent.append(sample.voice_to_voice_ms)
        self._draw_bar(sample)
        self._draw_trend()
        self.providers.setText(
            "Providers: " + ", ".join(f"{stage}: {name}" for stage, name in sample.providers.items())
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
            self.bar_legend.addItem(bar, f"{name} {ms:.0f}")
            start += width
        self.bar_plot.setYRange(-0.5, 1.4, padding=0)
        self.bar_plot.setXRange(0, max(start, sample.voice_to_voice_ms, 1.0), padding=0.02)

    def _draw_trend(self) -> None:
        values = list(self.recent)
        self.trend_curve.setData(np.arange(1, len(values) + 1), np.asarray(values))
        p50, p95 = percentile(values, 50), percentile(values, 95)
        self.p50_line.setValue(p50)
        self.p95_line.setValue(p95)
        for line in (self.p50_line, self.p95_line):
            line.setVisible(True)
        self.summary.setText(
            f"Voice-to-voice: last {values[-1]:.0f} ms · p50 {p50:.0f} ms · p95 {p95:.0f} ms "
            f"over {len(values)} turn(s)"
        )
