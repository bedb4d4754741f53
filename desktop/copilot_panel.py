"""Copilot panel: the live transcript of both sides (time into the call and speaker on each line; the
words so far at a pause as a grey, italic line that the turn's final line replaces),
suggestion cards with their confidence, their sources (a source opens its passage) and a copy button,
the call's mode and the spoken-suggestions toggle. All text is shown as plain text."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from earpiece.core.settings import CallMode
from earpiece.desktop.plain_words import clock

MAX_CARDS = 30
MAX_SOURCE_CHARS = 48  # a source's title on its button (the whole title is in its tooltip)
NO_CONFIDENT_ANSWER = "No confident answer in the knowledge base."
WHISPER_LABEL = "Read suggestions aloud in my headset"
WHISPER_TIP = ("Earpiece reads each suggestion quietly into your headset; the caller does not hear it. "
               "Applies to calls answered from now on.")
SPEAKER_LABELS = {"caller": "Caller", "agent": "Agent", "assistant": "Earpiece"}
PROVISIONAL_LABEL = "The caller is still speaking: this suggestion may change when they finish."
PROVISIONAL_ROLE = Qt.ItemDataRole.UserRole + 1  # a transcript line's words so far (a final line follows)
ANSWERING_LABEL = "Earpiece is saying this now; the whole answer shows once it has been said."


@dataclass(frozen=True, slots=True)
class SourceView:
    title: str
    source: str
    score: float
    excerpt: str = ""  # the passage itself, shown when the source is opened


@dataclass(frozen=True, slots=True)
class SuggestionView:
    text: str
    question: str = ""
    sources: Sequence[SourceView] = ()
    spoken: bool = False  # said into the call (autonomous) rather than only suggested
    confidence: float | None = None  # the answer selector's confidence in [0, 1], when known
    provisional: bool = False  # from what the caller said so far: the next card replaces it

    @property
    def confident(self) -> bool:
        """An empty suggestion is the selector's "no confident answer"."""
        return bool(self.text.strip())

    @property
    def confidence_text(self) -> str:
        """"confidence 82 %", or "" when the confidence is not known."""
        return "" if self.confidence is None else f"confidence {round(self.confidence * 100)} %"


def plain_label(text: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class PassageDialog(QDialog):
    """One source of a card: its title, file, score and the passage text (read-only, plain)."""

    def __init__(self, source: SourceView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(source.title or source.source)
        self.where = plain_label(f"{source.source} (relevance {source.score:.2f})")
        self.text = QPlainTextEdit(source.excerpt or "The passage text was not passed on with this card; "
                                   f"it is in {source.source}.")
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(560, 360)


class SuggestionCard(QFrame):
    say_requested = Signal(str)  # the card's text, to be said into the agent's headset only

    def __init__(self, suggestion: SuggestionView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.suggestion = suggestion
        self.passage: PassageDialog | None = None  # the source opened last
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        kind = "Answered" if suggestion.spoken else "Suggestion"
        if suggestion.provisional:
            kind = "Answering" if suggestion.spoken else "Early suggestion"
        title = plain_label(f"{kind}: {suggestion.question}" if suggestion.question else kind)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        self.provisional_label = plain_label(ANSWERING_LABEL if suggestion.spoken else PROVISIONAL_LABEL)
        self.provisional_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.provisional_label.setVisible(suggestion.provisional)
        layout.addWidget(self.provisional_label)
        self.body = plain_label(suggestion.text if suggestion.confident else NO_CONFIDENT_ANSWER)
        layout.addWidget(self.body)
        if not suggestion.sources:
            label = "No source: not found in the knowledge base"
        else:
            label = "Sources:" if suggestion.confident else "Nearest passages (not an answer):"
        self.sources_label = plain_label(label)
        self.sources_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.sources_label)
        self.source_buttons: list[QPushButton] = []
        for source in suggestion.sources:
            name = source.title or source.source
            short = name if len(name) <= MAX_SOURCE_CHARS else name[:MAX_SOURCE_CHARS - 1] + "…"
            button = QPushButton(f"{short} ({source.score:.2f})")
            button.setFlat(True)
            button.setToolTip(f"Open the passage: {name} ({source.source})")
            button.clicked.connect(lambda _checked=False, s=source: self.open_source(s))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
            self.source_buttons.append(button)
        footer = QHBoxLayout()  # below the text: the card's width goes to the words
        self.confidence = plain_label(suggestion.confidence_text, wrap=False)
        self.confidence.setToolTip("How sure Earpiece is that the passage answers the question")
        self.confidence.setVisible(bool(suggestion.confidence_text))
        footer.addWidget(self.confidence)
        footer.addStretch(1)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the suggestion to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        footer.addWidget(self.copy_button)
        self.say_button = QPushButton("Say in my headset")
        self.say_button.setToolTip("Earpiece reads this card to you in your headset; "
                                   "the caller does not hear it")
        self.say_button.clicked.connect(lambda: self.say_requested.emit(self.suggestion.text))
        self.say_button.setVisible(not suggestion.spoken)  # an answer already said into the call
        footer.addWidget(self.say_button)
        layout.addLayout(footer)
        if not suggestion.confident:
            font = self.body.font()
            font.setItalic(True)
            self.body.setFont(font)
            self.sources_label.setEnabled(False)  # greyed out: shown for orientation only
            for button in self.source_buttons:
                palette = button.palette()
                palette.setColor(QPalette.ColorRole.ButtonText,
                                 palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText))
                button.setPalette(palette)  # greyed, yet still opens the passage
            self.copy_button.setEnabled(False)
            self.say_button.setEnabled(False)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.suggestion.text)

    def open_source(self, source: SourceView) -> PassageDialog:
        self.passage = PassageDialog(source, self)
        self.passage.open()
        return self.passage


class CopilotPanel(QWidget):
    mode_changed = Signal(str)  # CallMode value, for the shown call
    whisper_changed = Signal(bool)
    say_requested = Signal(str)  # a card's text, to be said into the agent's headset only

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.call_title = plain_label("No call", wrap=False)
        font = self.call_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.call_title.setFont(font)
        self.mode = QComboBox()
        for mode in CallMode:
            self.mode.addItem(mode.value.capitalize(), mode.value)
        self.mode.setToolTip("Off: a plain phone call. Copilot: transcript and suggestions for you. "
                             "Autonomous: Earpiece answers the caller itself.")
        self.mode.currentIndexChanged.connect(lambda _i: self.mode_changed.emit(self.mode.currentData()))
        self.whisper = QCheckBox(WHISPER_LABEL)
        self.whisper.setToolTip(WHISPER_TIP)
        self.whisper.toggled.connect(self.whisper_changed)
        header = QHBoxLayout()
        header.addWidget(self.call_title, 1)
        header.addWidget(QLabel("Mode:"))
        header.addWidget(self.mode)
        header.addWidget(self.whisper)

        self.transcript = QListWidget()
        self.transcript.setWordWrap(True)
        self.transcript.setAlternatingRowColors(True)
        self.transcript.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)

        self._provisional: dict[str, QListWidgetItem] = {}  # speaker -> their line still being said
        self._cards: list[SuggestionCard] = []
        self._call_started_at = time.monotonic()  # transcript times count from here
        self.cards_host = QWidget()
        self.cards_layout = QVBoxLayout(self.cards_host)
        self.cards_layout.setContentsMargins(0, 0, 0, 0)
        self.cards_layout.addStretch(1)
        cards_scroll = QScrollArea()
        cards_scroll.setWidgetResizable(True)
        cards_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # cards wrap
        cards_scroll.setWidget(self.cards_host)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(plain_label("Transcript"))
        left_layout.addWidget(self.transcript)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(plain_label("Suggestions"))
        right_layout.addWidget(cards_scroll)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([450, 450])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(split, 1)

    def show_call(self, title: str, mode: str, started_at: float | None = None) -> None:
        """Start a fresh view for a call (the previous call's lines stay in its history);
        `started_at` (time.monotonic(), default now) is when it was answered."""
        self._call_started_at = time.monotonic() if started_at is None else started_at
        self.call_title.setText(title)
        self.set_mode(mode)
        self.transcript.clear()
        self._provisional.clear()
        for card in self._cards:
            card.deleteLater()
        self._cards.clear()

    def set_mode(self, mode: str) -> None:
        index = self.mode.findData(mode)
        if index >= 0 and index != self.mode.currentIndex():
            self.mode.blockSignals(True)
            self.mode.setCurrentIndex(index)
            self.mode.blockSignals(False)

    def add_transcript(self, speaker: str, text: str, at: float | None = None, *,
                       provisional: bool = False) -> None:
        """A line "0:42  Caller: text": `at` (time.monotonic(), default now) is when it was said.
        A `provisional` line (the words so far, while the speaker pauses) is grey and italic; the
        speaker's next line, provisional or final, takes its place: one line per turn."""
        label = SPEAKER_LABELS.get(speaker, speaker.capitalize())
        moment = time.monotonic() if at is None else at
        when = clock(moment - self._call_started_at)
        item = self._provisional.pop(speaker, None)
        if item is None:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, speaker)
            self.transcript.addItem(item)
        item.setText(f"{when}  {label}: {text}")  # list items never interpret markup
        item.setToolTip(time.strftime("%H:%M:%S", time.localtime(time.time() - (time.monotonic() - moment))))
        item.setData(PROVISIONAL_ROLE, provisional)
        font = item.font()
        font.setItalic(provisional)
        item.setFont(font)
        if provisional:
            self._provisional[speaker] = item
            item.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
        elif speaker == "caller":
            item.setForeground(QColor("#0072B2") if not _dark(self) else QColor("#56B4E9"))
        else:
            item.setData(Qt.ItemDataRole.ForegroundRole, None)  # the list's own text colour
        self.transcript.scrollToBottom()

    def is_provisional(self, row: int) -> bool:
        """Whether the transcript's line `row` is words so far that a final line will replace."""
        item = self.transcript.item(row)
        return item is not None and bool(item.data(PROVISIONAL_ROLE))

    def add_suggestion(self, suggestion: SuggestionView) -> SuggestionCard:
        """The new card on top; a provisional card on top is replaced by it (one card per turn)."""
        self.withdraw_provisional()
        card = SuggestionCard(suggestion)
        card.say_requested.connect(self.say_requested)
        self.cards_layout.insertWidget(0, card)  # newest on top
        self._cards.insert(0, card)
        for extra in self._cards[MAX_CARDS:]:
            extra.deleteLater()
        del self._cards[MAX_CARDS:]
        return card

    def withdraw_provisional(self) -> None:
        """The provisional card on top is not followed by a card of its own: it goes."""
        if self._cards and self._cards[0].suggestion.provisional:
            replaced = self._cards.pop(0)
            replaced.hide()
            replaced.deleteLater()

    def cards(self) -> list[SuggestionCard]:
        """Newest first."""
        return list(self._cards)

    def transcript_lines(self) -> list[str]:
        return [self.transcript.item(i).text() for i in range(self.transcript.count())]


def _dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128
