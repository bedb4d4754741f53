"""The supervisor view: calls, answer rate and median answer time per hour (per day over a month),
who handled the calls (the assistant, a transfer, ...), caller sentiment over time, top intents and
top knowledge gaps, for a date range and an account. The records are read and analysed in a worker
thread, with the settings in use at each reading (retention, intents, the gap confidence floor); a
change to them reloads a view on screen."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from earpiece.core.analytics import (
    CallAnalyser,
    CallArchive,
    Dashboard,
    analyser,
    apply_retention,
    dashboard,
    knowledge_gaps,
)
from earpiece.core.settings import IntentSettings, KnowledgeSettings, Settings, SettingsChanged
from earpiece.desktop.settings_signals import SettingsSignals
from earpiece.desktop.tasks import spawn

ALL_ACCOUNTS = "All accounts"
DEFAULT_DAYS = 7
BAR = "#0072B2"  # Okabe-Ito blue
DISPOSITION_COLOURS = ("#009E73", "#E69F00", "#D55E00", "#999999", "#56B4E9")
LABEL_CHARS = 38
RELOAD_ON = {"analytics", "knowledge"}  # the settings sections the figures depend on


@dataclass(frozen=True, slots=True)
class SupervisorData:
    dashboard: Dashboard
    accounts: list[str]  # accounts with calls in the date range
    skipped: list[str]  # records that could not be read


def load_supervisor_data(settings: Settings, archive: CallArchive, since: datetime, until: datetime,
                         account: str | None, engine: CallAnalyser) -> SupervisorData:
    """Blocking (reads every record, embeds questions): run it in a worker thread. Applies the
    retention period first."""
    apply_retention(settings, archive)  # a folder it cannot clean is logged; the figures still load
    in_range = archive.calls(since=since, until=until)
    calls = [c for c in in_range if account is None or c.account_id == account]
    analyses = [engine.analyse(c) for c in calls]
    gaps = knowledge_gaps(calls, settings)
    accounts = sorted({c.account_id for c in in_range if c.account_id})
    return SupervisorData(dashboard(analyses, gaps), accounts, list(archive.skipped))


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _plot(title: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(title=title)
    plot.setBackground(plot.palette().color(QPalette.ColorRole.Base))
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMinimumHeight(170)
    return plot


class SupervisorView(QWidget):
    loaded = Signal(object)  # SupervisorData

    def __init__(self, settings: SettingsSignals, archive: CallArchive | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.archive = archive or CallArchive()
        self.data: SupervisorData | None = None
        # built in the worker thread, again when the settings it was built with change
        self._engine: tuple[tuple[list[IntentSettings], KnowledgeSettings], CallAnalyser] | None = None
        settings.changed.connect(self._settings_changed)
        pg.setConfigOptions(antialias=True)
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-(DEFAULT_DAYS - 1)))
        self.until = QDateEdit(today)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.account = QComboBox()
        self.account.addItem(ALL_ACCOUNTS)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        filters = QHBoxLayout()
        for widget in (QLabel("From"), self.since, QLabel("to"), self.until, self.account,
                       self.refresh_button):
            filters.addWidget(widget)
        filters.addStretch(1)
        self.figures = QLabel("")
        self.figures.setTextFormat(Qt.TextFormat.PlainText)
        self.figures.setWordWrap(True)

        self.per_hour = _plot("Calls per hour")
        self.per_hour.setAxisItems({"bottom": pg.DateAxisItem(orientation="bottom")})
        self.handled = _plot("How calls ended")
        self.answer_rate = _plot("Answer rate per hour (% of questions)")
        self.answer_rate.setAxisItems({"bottom": pg.DateAxisItem(orientation="bottom")})
        self.answer_time = _plot("Median answer time per hour (s)")
        self.answer_time.setAxisItems({"bottom": pg.DateAxisItem(orientation="bottom")})
        for plot in (self.answer_rate, self.answer_time):
            plot.setXLink(self.per_hour)  # the same hours under each other
        self.sentiment = _plot("Caller sentiment per call (-1 … +1)")
        self.sentiment.setAxisItems({"bottom": pg.DateAxisItem(orientation="bottom")})
        self.sentiment.setYRange(-1.0, 1.0)
        self.sentiment.addLine(y=0.0, pen=pg.mkPen("#999999", style=Qt.PenStyle.DashLine))
        self.intents = _plot("Top intents (calls)")
        self.gaps = _plot("Top knowledge gaps (questions)")
        grid = QGridLayout()
        grid.addWidget(self.per_hour, 0, 0)
        grid.addWidget(self.handled, 0, 1)
        grid.addWidget(self.answer_rate, 1, 0)
        grid.addWidget(self.answer_time, 1, 1)
        grid.addWidget(self.sentiment, 2, 0)
        grid.addWidget(self.intents, 2, 1)
        grid.addWidget(self.gaps, 3, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.figures)
        layout.addLayout(grid, 1)
        self.loaded.connect(self.show_data)

    # -- loading ---------------------------------------------------------------------------------
    def date_range(self) -> tuple[datetime, datetime]:
        """[since, until) in local time: the whole of both chosen days."""
        start, end = (date(d.year(), d.month(), d.day()) for d in (self.since.date(), self.until.date()))
        return (datetime.combine(start, time()).astimezone(),
                datetime.combine(end, time()).astimezone() + timedelta(days=1))

    def chosen_account(self) -> str | None:
        text = self.account.currentText()
        return None if text == ALL_ACCOUNTS else text

    def refresh(self) -> None:
        self.figures.setText("Reading the call records…")
        spawn(self._load(), lambda exc: self.figures.setText(f"Could not read the call records: {exc}"))

    async def _load(self) -> None:
        since, until = self.date_range()
        data = await asyncio.to_thread(self._read, self.settings.current, since, until, self.chosen_account())
        self.loaded.emit(data)

    def _read(self, settings: Settings, since: datetime, until: datetime,
              account: str | None) -> SupervisorData:
        made_with = (settings.analytics.intents, settings.knowledge)
        if self._engine is None or self._engine[0] != made_with:
            self._engine = (made_with, analyser(settings))
        return load_supervisor_data(settings, self.archive, since, until, account, self._engine[1])

    def _settings_changed(self, change: SettingsChanged) -> None:
        if self.isVisible() and change.sections & RELOAD_ON:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    # -- drawing ---------------------------------------------------------------------------------
    def show_data(self, data: SupervisorData) -> None:
        self.data = data
        board = data.dashboard
        chosen = self.account.currentText()
        self.account.blockSignals(True)
        self.account.clear()
        self.account.addItems([ALL_ACCOUNTS, *data.accounts])
        self.account.setCurrentText(chosen if chosen in data.accounts else ALL_ACCOUNTS)
        self.account.blockSignals(False)
        skipped = f" ({len(data.skipped)} unreadable record(s) skipped)" if data.skipped else ""
        self.figures.setText(self.figures_text(board) + skipped)
        self._draw_per_period(board)
        self._draw_bars(self.handled, list(board.dispositions.items()), horizontal=False,
                        colours=DISPOSITION_COLOURS)
        self._draw_sentiment(board)
        self._draw_bars(self.intents, board.top_intents)
        self._draw_bars(self.gaps, [(g.label, g.count) for g in board.top_gaps])

    @staticmethod
    def figures_text(board: Dashboard) -> str:
        if not board.calls:
            return "No calls in this period."
        total = board.total
        share = board.by_assistant / board.calls
        rate = f"{total.answer_rate:.0%}" if total.answer_rate is not None else "–"
        median = f"{total.median_answer_ms / 1000:.1f} s" if total.median_answer_ms is not None else "–"
        return (f"{board.calls} calls · answered by the assistant {board.by_assistant} ({share:.0%}) · "
                f"transferred {board.transferred} · answer rate {rate} of {total.questions} questions · "
                f"median answer time {median}")

    def _draw_per_period(self, board: Dashboard) -> None:
        """Calls (bars), answer rate (bars, periods with questions) and median answer time (points,
        periods with answers), per hour or per day."""
        unit = "hour" if board.period == "hour" else "day"
        width = 3600.0 if board.period == "hour" else 86400.0
        charts = ((self.per_hour, f"Calls per {unit}"),
                  (self.answer_rate, f"Answer rate per {unit} (% of questions)"),
                  (self.answer_time, f"Median answer time per {unit} (s)"))
        for plot, title in charts:
            plot.clear()
            plot.setTitle(title)
        if not board.per_period:
            return
        middle = [at.timestamp() + width / 2 for at, _ in board.per_period]
        calls = [f.calls for _, f in board.per_period]
        self.per_hour.addItem(pg.BarGraphItem(x=middle, height=calls, width=width * 0.8, brush=BAR))
        self.per_hour.setYRange(0, max(calls) + 1)
        rated = [(x, 100 * f.answer_rate) for x, (_, f) in zip(middle, board.per_period, strict=True)
                 if f.answer_rate is not None]
        if rated:
            self.answer_rate.addItem(pg.BarGraphItem(x=[x for x, _ in rated], height=[r for _, r in rated],
                                                     width=width * 0.8, brush=BAR))
        self.answer_rate.setYRange(0, 100)
        timed = [(x, f.median_answer_ms / 1000) for x, (_, f) in zip(middle, board.per_period, strict=True)
                 if f.median_answer_ms is not None]
        if timed:
            self.answer_time.plot([x for x, _ in timed], [t for _, t in timed], pen=pg.mkPen(BAR, width=2),
                                  symbol="o", symbolSize=7, symbolBrush=BAR)
            self.answer_time.setYRange(0, max(t for _, t in timed) * 1.2)

    def _draw_sentiment(self, board: Dashboard) -> None:
        self.sentiment.clear()
        self.sentiment.addLine(y=0.0, pen=pg.mkPen("#999999", style=Qt.PenStyle.DashLine))
        if board.sentiment_trend:
            x = [at.timestamp() for at, _ in board.sentiment_trend]
            y = [score for _, score in board.sentiment_trend]
            self.sentiment.plot(x, y, pen=pg.mkPen(BAR, width=2), symbol="o", symbolSize=7,
                                symbolBrush=BAR)

    @staticmethod
    def _draw_bars(plot: pg.PlotWidget, items: list[tuple[str, int]], *, horizontal: bool = True,
                   colours: tuple[str, ...] = (BAR,)) -> None:
        """Labelled bars: horizontal (label on the left axis, biggest on top) or vertical."""
        plot.clear()
        brushes = [colours[i % len(colours)] for i in range(len(items))]
        positions = list(range(len(items)))
        values = [value for _, value in items]
        ticks = [[(p, _short(label)) for p, (label, _) in zip(positions, items, strict=True)]]
        if horizontal:
            ys = [len(items) - 1 - p for p in positions]
            plot.addItem(pg.BarGraphItem(x0=0, y=ys, height=0.6, width=values, brushes=brushes))
            plot.getAxis("left").setTicks([[(y, label) for y, (_, label) in zip(ys, ticks[0], strict=True)]])
            plot.getAxis("bottom").setTicks(None)
        else:
            plot.addItem(pg.BarGraphItem(x=positions, height=values, width=0.6, brushes=brushes))
            plot.getAxis("bottom").setTicks(ticks)
        if items:
            extent = max(values) + 1
            if horizontal:
                plot.setRange(xRange=(0, extent), yRange=(-0.6, len(items) - 0.4), padding=0)
            else:
                plot.setRange(xRange=(-0.6, len(items) - 0.4), yRange=(0, extent), padding=0)
