"""Knowledge gaps for admins: what callers asked that the knowledge base could not answer, grouped
across calls, with "Add an answer" (a question and answer added as a FAQ entry through the
knowledge store) and "Open document" (the document retrieval found, to edit it). The calls are read
with the settings in use at each reading (retention, the gap confidence floor, the embedding model);
a change to them reloads a view on screen."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from earpiece.core.analytics import CallArchive, GapGroup, apply_retention, knowledge_gaps
from earpiece.core.analytics.added_answers import AnswerRejectedError, add_answer
from earpiece.core.knowledge import FileResult, KnowledgeError, KnowledgeStore
from earpiece.core.settings import Settings, SettingsChanged
from earpiece.desktop.settings_signals import SettingsSignals
from earpiece.desktop.tasks import spawn

log = logging.getLogger(__name__)

COLUMNS = ("Asked", "Calls", "Topic", "Also asked as", "Last asked")
PERIODS = {"Last 7 days": 7, "Last 30 days": 30, "All calls": None}  # days back
DEFAULT_PERIOD = "Last 30 days"
RELOAD_ON = {"analytics", "knowledge"}  # the settings sections the gaps depend on


def _is_web(source: str) -> bool:
    return source.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class GapsData:
    groups: list[GapGroup]
    skipped: list[str]  # records that could not be read


def load_gaps(settings: Settings, archive: CallArchive, kb: str | None = None,
              since: datetime | None = None) -> GapsData:
    """Blocking (embeds the questions): run it in a worker thread. Applies the retention period
    first, as every view of the calls does."""
    apply_retention(settings, archive)  # a folder it cannot clean is logged; the gaps still load
    groups = knowledge_gaps(archive.calls(since=since), settings, kb)
    return GapsData(groups, list(archive.skipped))


@dataclass(frozen=True, slots=True)
class NewAnswer:
    question: str
    answer: str


class AddAnswerDialog(QDialog):
    def __init__(self, group: GapGroup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add an answer")
        self.question = QLineEdit(group.label)
        self.answer = QPlainTextEdit()
        self.answer.setPlaceholderText("The answer callers should hear, in one to three sentences.")
        asked = QLabel("Callers asked: " + "; ".join(group.examples))
        asked.setWordWrap(True)
        asked.setTextFormat(Qt.TextFormat.PlainText)
        choice = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(choice.Ok | choice.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(asked)
        form.addRow("Question:", self.question)
        form.addRow("Answer:", self.answer)
        form.addRow(buttons)

    def value(self) -> NewAnswer:
        return NewAnswer(self.question.text().strip(), self.answer.toPlainText().strip())


class GapsView(QWidget):
    loaded = Signal(object)  # GapsData
    answer_added = Signal(str, object)  # knowledge base, FileResult

    def __init__(self, settings: SettingsSignals, archive: CallArchive | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.archive = archive or CallArchive()
        self.store: KnowledgeStore | None = None
        self.kb = settings.current.knowledge.default_kb  # then the Knowledge tab's choice (set_store)
        settings.changed.connect(self._settings_changed)
        self.groups: list[GapGroup] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.ask_answer())
        self.period = QComboBox()
        self.period.addItems(list(PERIODS))
        self.period.setCurrentText(DEFAULT_PERIOD)
        self.period.currentTextChanged.connect(lambda _text: self.refresh())
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.add_button = QPushButton("Add an answer…")
        self.add_button.clicked.connect(self.ask_answer)
        self.open_button = QPushButton("Open document")
        self.open_button.setToolTip("Open the document the knowledge base found for these questions")
        self.open_button.clicked.connect(self.open_document)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QHBoxLayout()
        for button in (self.period, self.refresh_button, self.add_button, self.open_button):
            buttons.addWidget(button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Questions callers asked that the knowledge base could not answer"))
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.loaded.connect(self.show_groups)

    def set_store(self, store: KnowledgeStore | None, kb: str | None = None) -> None:
        self.store = store
        if kb:
            self.kb = kb

    def refresh(self) -> None:
        self.status.setText("Reading the call records…")
        spawn(self._load(), self._failed)

    def since(self) -> datetime | None:
        days = PERIODS[self.period.currentText()]
        return None if days is None else datetime.now(UTC) - timedelta(days=days)

    async def _load(self) -> None:
        data = await asyncio.to_thread(load_gaps, self.settings.current, self.archive, self.kb, self.since())
        self.loaded.emit(data)

    def _settings_changed(self, change: SettingsChanged) -> None:
        if self.isVisible() and change.sections & RELOAD_ON:
            self.refresh()

    def show_groups(self, data: GapsData) -> None:
        self.groups = groups = data.groups
        self.table.setRowCount(0)
        for group in groups:
            row = self.table.rowCount()
            self.table.insertRow(row)
            cells = (str(group.count), str(group.calls), group.label,
                     "; ".join(e for e in group.examples if e != group.label),
                     f"{group.last_seen.astimezone():%Y-%m-%d %H:%M}")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip("\n".join(group.examples))
                self.table.setItem(row, column, item)
        asked = sum(g.count for g in groups)
        skipped = f" ({len(data.skipped)} unreadable record(s) skipped)" if data.skipped else ""
        found = f"{asked} question(s) in {len(groups)} topic(s)" if groups else "No gaps found."
        self.status.setText(found + skipped)

    def selected(self) -> GapGroup | None:
        row = self.table.currentRow()
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def ask_answer(self) -> None:
        group = self.selected()
        if group is None:
            self.status.setText("Choose a topic first.")
            return
        dialog = AddAnswerDialog(group, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            new = dialog.value()
            spawn(self.add_answer(new.question, new.answer), self._failed)

    async def add_answer(self, question: str, answer: str) -> FileResult | None:
        if self.store is None:
            self.status.setText("The knowledge base is not open yet.")
            return None
        try:
            result = await asyncio.to_thread(add_answer, self.store, self.kb, question, answer)
        except (AnswerRejectedError, KnowledgeError) as exc:
            self.status.setText(f"Not added: {exc}")
            return None
        self.status.setText(f"Added to {self.kb}: {question}")
        self.answer_added.emit(self.kb, result)
        return result

    def open_document(self) -> None:
        """Open the first document retrieval found for the topic that is still there (a file, or a
        web page of a served knowledge base)."""
        group = self.selected()
        if group is None:
            self.status.setText("Choose a topic first.")
            return
        if not group.sources:
            self.status.setText("No document matched these questions: add an answer instead.")
            return
        there = [s for s in group.sources if _is_web(s) or Path(s).is_file()]
        if not there:
            self.status.setText(f"The document found for these questions is no longer at {group.sources[0]}: "
                                "add an answer instead.")
            return
        url = QUrl(there[0]) if _is_web(there[0]) else QUrl.fromLocalFile(there[0])
        if not QDesktopServices.openUrl(url):
            self.status.setText(f"No application could open {there[0]}")

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"Failed: {exc}")
