"""Knowledge tab: create and choose knowledge bases, add files and folders (also by drag and
drop) with progress and per-file errors, list and delete documents, see the passages screening
held back (and why), and try a question. With a `GapsView`, a second sub-tab lists what callers
asked that the knowledge base could not answer, for the selected knowledge base."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from earpiece.core.interfaces import AnswerRequest
from earpiece.core.knowledge import (
    FileResult,
    IngestReport,
    KnowledgeError,
    KnowledgeStore,
    Outcome,
    Progress,
)
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import KnowledgeSettings
from earpiece.desktop.copilot_panel import plain_label
from earpiece.desktop.gaps_view import GapsView
from earpiece.desktop.tasks import spawn

log = logging.getLogger(__name__)

DOCUMENT_COLUMNS = ("Title", "Kind", "Passages", "Held back", "File")
FILE_COLUMN = DOCUMENT_COLUMNS.index("File")


class KnowledgeTab(QWidget):
    ingest_progress = Signal(object)  # Progress, emitted from the ingest thread (queued to the GUI)
    ingest_finished = Signal(object)  # IngestReport
    answered = Signal(str)  # the offline responder's answer to "try a question"
    kb_changed = Signal(str)

    def __init__(
        self, settings: KnowledgeSettings, parent: QWidget | None = None, gaps: GapsView | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.gaps = gaps
        self.store: KnowledgeStore | None = None
        self.busy = False
        self.setAcceptDrops(True)

        self.kb = QComboBox()
        self.kb.currentTextChanged.connect(self._kb_selected)
        new_kb = QPushButton("New…")
        new_kb.clicked.connect(self.ask_new_kb)
        self.drop_kb_button = QPushButton("Delete knowledge base")
        self.drop_kb_button.clicked.connect(self.ask_drop_kb)
        top = QHBoxLayout()
        top.addWidget(plain_label("Knowledge base:", wrap=False))
        top.addWidget(self.kb, 1)
        top.addWidget(new_kb)
        top.addWidget(self.drop_kb_button)

        self.documents = QTableWidget(0, len(DOCUMENT_COLUMNS))
        self.documents.setHorizontalHeaderLabels(list(DOCUMENT_COLUMNS))
        self.documents.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.documents.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.documents.horizontalHeader().setSectionResizeMode(FILE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.documents.verticalHeader().setVisible(False)
        add_files = QPushButton("Add files…")
        add_files.clicked.connect(self.ask_files)
        add_folder = QPushButton("Add folder…")
        add_folder.clicked.connect(self.ask_folder)
        remove = QPushButton("Remove selected")
        remove.clicked.connect(self.remove_selected)
        doc_buttons = QHBoxLayout()
        for button in (add_files, add_folder, remove):
            doc_buttons.addWidget(button)
        doc_buttons.addStretch(1)
        doc_buttons.addWidget(plain_label("or drop files and folders here", wrap=False))

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop adding: files already added stay; add the rest again later")
        self.cancel_button.clicked.connect(self.cancel_ingest)
        self.cancel_button.setVisible(False)
        self._cancel: threading.Event | None = None  # the running ingest's stop request
        self.status = plain_label("Opening the knowledge store…")
        self.errors = QListWidget()
        self.errors.setMaximumHeight(90)
        self.errors.setVisible(False)
        self.ingest_progress.connect(self._show_progress)

        # Units that read as instructions to the assistant, ask for credentials or push an unknown
        # phone number: stored, never searched or spoken; the admin sees them and why.
        self.held_back = QTreeWidget()
        self.held_back.setHeaderLabels(["Why", "Document", "Passage"])
        self.held_back.setRootIsDecorated(False)
        self.held_back.setWordWrap(True)
        self.held_back_box = QGroupBox("Held back by screening: stored, never suggested or spoken")
        QVBoxLayout(self.held_back_box).addWidget(self.held_back)
        self.held_back_box.setVisible(False)

        self.question = QLineEdit()
        self.question.setPlaceholderText("Try a question, e.g. How do I get a refund?")
        self.question.returnPressed.connect(self.try_question)
        ask = QPushButton("Ask")
        ask.clicked.connect(self.try_question)
        ask_row = QHBoxLayout()
        ask_row.addWidget(self.question, 1)
        ask_row.addWidget(ask)
        self.passages = QTreeWidget()
        self.passages.setHeaderLabels(["Score", "Source", "Passage"])
        self.passages.setRootIsDecorated(False)
        self.passages.setWordWrap(True)
        self.answer = plain_label("")
        try_box = QGroupBox("Try a question")
        try_layout = QVBoxLayout(try_box)
        try_layout.addLayout(ask_row)
        try_layout.addWidget(self.passages, 1)
        try_layout.addWidget(self.answer)

        documents_page = QWidget()
        layout = QVBoxLayout(documents_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.documents, 2)
        layout.addLayout(doc_buttons)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        layout.addWidget(self.status)
        layout.addWidget(self.errors)
        layout.addWidget(self.held_back_box, 1)
        layout.addWidget(try_box, 2)
        self.pages = QTabWidget()
        self.pages.addTab(documents_page, "Documents")
        if gaps is not None:
            self.pages.addTab(gaps, "Unanswered questions")
            gaps.answer_added.connect(self._answer_added)
            self.pages.currentChanged.connect(self._page_shown)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addWidget(self.pages, 1)
        self.setEnabled(False)

    # The store is opened off the GUI thread by the app and handed in when ready.

    def set_store(self, store: KnowledgeStore) -> None:
        self.store = store
        self.setEnabled(True)
        self.status.setText("")
        self.refresh(select=self.settings.default_kb)

    def store_unavailable(self, reason: str) -> None:
        """The store could not be opened (at start): say why rather than "Opening…" for ever."""
        self.status.setText(f"The knowledge store could not be opened: {reason}. "
                            "It is tried again with the next call, and at the next start.")

    def current_kb(self) -> str:
        return self.kb.currentText()

    def refresh(self, select: str | None = None) -> None:
        if self.store is None:
            return
        wanted = select or self.current_kb()
        names = [kb.name for kb in self.store.knowledge_bases()]
        self.kb.blockSignals(True)
        self.kb.clear()
        self.kb.addItems(names)
        if wanted in names:
            self.kb.setCurrentText(wanted)
        self.kb.blockSignals(False)
        self._kb_selected(self.current_kb())

    def _kb_selected(self, _name: str) -> None:
        self._show_documents()
        if self.gaps is not None:
            self.gaps.set_store(self.store, self.current_kb() or None)
            if self.pages.currentWidget() is self.gaps:
                self.gaps.refresh()
        self.kb_changed.emit(self.current_kb())

    def _page_shown(self, _index: int) -> None:
        if self.gaps is not None and self.pages.currentWidget() is self.gaps:
            self.gaps.refresh()  # the call records grow while the app runs

    def _answer_added(self, name: str, _result: FileResult) -> None:
        """An answer written from the gaps list is a new document: list it."""
        self.refresh(select=name)

    def _show_documents(self) -> None:
        self.documents.setRowCount(0)
        self.held_back.clear()
        self.held_back_box.setVisible(False)
        name = self.current_kb()
        if self.store is None or not name:
            return
        for document in self.store.documents(name):
            row = self.documents.rowCount()
            self.documents.insertRow(row)
            held = str(document.flagged) if document.flagged else ""
            for column, value in enumerate(
                (document.title, document.kind, str(document.chunks), held, document.source)
            ):
                self.documents.setItem(row, column, QTableWidgetItem(value))
        for chunk in (c for c in self.store.chunks(name) if c.flags):
            item = QTreeWidgetItem([", ".join(chunk.flags), Path(chunk.source).name, chunk.text])
            item.setToolTip(2, chunk.text)
            self.held_back.addTopLevelItem(item)
        self.held_back_box.setVisible(self.held_back.topLevelItemCount() > 0)

    # Knowledge bases

    def ask_new_kb(self) -> None:
        name, ok = QInputDialog.getText(self, "New knowledge base", "Name:")
        if ok and name.strip():
            self.create_kb(name)

    def create_kb(self, name: str) -> bool:
        assert self.store is not None
        try:
            info = self.store.create(name)
        except KnowledgeError as exc:
            self.status.setText(str(exc))
            return False
        self.refresh(select=info.name)
        return True

    def ask_drop_kb(self) -> None:
        name = self.current_kb()
        if name and QMessageBox.question(
            self, "Delete knowledge base", f"Delete the knowledge base {name!r} and its index?"
        ) == QMessageBox.StandardButton.Yes:
            spawn(self._drop(name), self._failed)

    # Documents

    def ask_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add documents")
        if files:
            self.add_paths([Path(f) for f in files])

    def ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of documents")
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: Sequence[Path]) -> None:
        name = self.current_kb()
        if self.store is None or self.busy:
            return
        if not name:
            self.status.setText("Create a knowledge base first (New…).")
            return
        spawn(self._add(name, list(paths)), self._failed)

    async def _add(self, name: str, paths: list[Path]) -> IngestReport:
        assert self.store is not None
        self._set_busy(True, f"Adding {len(paths)} item(s) to {name}…")
        self.errors.clear()
        self.errors.setVisible(False)
        self._cancel = threading.Event()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setVisible(True)
        try:
            report = await asyncio.to_thread(
                self.store.add, name, paths, self.ingest_progress.emit, self._cancel
            )
        finally:
            self._cancel = None
            self.cancel_button.setVisible(False)
            self._set_busy(False)
        for failure in report.failed:
            self.errors.addItem(failure.error or failure.source)
        for warning in report.warnings:  # parts left out of files that were ingested
            self.errors.addItem(warning)
        self.errors.setVisible(bool(report.failed or report.warnings))
        stopped = report.count(Outcome.CANCELLED)
        ingested = len(report.results) - len(report.failed) - stopped
        summary = (f"{ingested} file(s) ingested ({report.chunks_written} new passages), "
                   f"{len(report.failed)} failed, in {report.seconds:.1f} s.")
        if report.cancelled:
            summary = f"Cancelled. {summary} {stopped} file(s) not added: add them again to carry on."
        self.status.setText(summary)
        self.refresh()
        self.ingest_finished.emit(report)
        return report

    def cancel_ingest(self) -> bool:
        """Ask the running ingest to stop at its next batch (`ingest_finished` follows); False if idle."""
        if self._cancel is None:
            return False
        self._cancel.set()
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling…")
        return True

    def _show_progress(self, progress: Progress) -> None:
        self.progress.setRange(0, max(1, progress.files_total))
        self.progress.setValue(progress.files_done)
        current = Path(progress.current).name if progress.current else progress.message
        self.status.setText(f"{progress.files_done}/{progress.files_total} {current}".strip())

    def remove_selected(self) -> None:
        if self.store is None:
            return
        rows = sorted({index.row() for index in self.documents.selectedIndexes()})
        sources = [item.text() for row in rows if (item := self.documents.item(row, FILE_COLUMN)) is not None]
        if sources:
            spawn(self._remove(self.current_kb(), sources), self._failed)

    async def _remove(self, name: str, sources: list[str]) -> None:
        assert self.store is not None
        for source in sources:
            await asyncio.to_thread(self.store.remove, name, source)
        self.status.setText(f"Removed {len(sources)} document(s).")
        self.refresh()

    async def _drop(self, name: str) -> None:
        assert self.store is not None
        await asyncio.to_thread(self.store.drop, name)
        self.status.setText(f"Deleted the knowledge base {name!r}.")
        self.refresh()

    # Try a question

    def try_question(self) -> None:
        question = self.question.text().strip()
        if self.store is None or not question or not self.current_kb():
            return
        spawn(self._try(self.current_kb(), question), self._failed)

    async def _try(self, name: str, question: str) -> None:
        assert self.store is not None
        result = await asyncio.to_thread(self.store.search, name, question, self.settings.top_k)
        self.passages.clear()
        for passage in result.passages:
            item = QTreeWidgetItem([f"{passage.score:.2f}", passage.title or Path(passage.source).name,
                                    passage.text])
            item.setToolTip(2, passage.text)
            self.passages.addTopLevelItem(item)
        answer = OfflineResponder(self.settings.min_score).answer(
            AnswerRequest(question=question, passages=result.passages)
        )
        self.answer.setText(f"Offline answer ({result.total_ms:.0f} ms retrieval): {answer}")
        self.answered.emit(answer)

    # Drag and drop

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # Helpers

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
            self.status.setText(message)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.status.setText(f"Failed: {exc}")
