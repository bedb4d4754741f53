"""The Knowledge tab hosts the unanswered-questions view: it follows the selected knowledge base,
and an answer added there shows up in the document list."""

from __future__ import annotations

from pathlib import Path

import pytest
import qasync
from pytestqt.qtbot import QtBot

from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.paths import data_dir
from earpiece.core.settings import KnowledgeSettings, Settings, SettingsStore
from earpiece.desktop.gaps_view import GapsView
from earpiece.desktop.knowledge_tab import FILE_COLUMN, KnowledgeTab
from earpiece.desktop.settings_signals import SettingsSignals
from tests.desktop.widgets import cell

pytestmark = [pytest.mark.gui, pytest.mark.models]


def test_gaps_follow_the_selected_knowledge_base_and_new_answers_are_listed(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with KnowledgeStore(data_dir() / "knowledge") as store:
        store.create("shop")
        store.create("depot")
        gaps = GapsView(SettingsSignals(SettingsStore(Settings())))
        tab = KnowledgeTab(KnowledgeSettings(default_kb="shop"), gaps=gaps)
        qtbot.addWidget(tab)
        tab.set_store(store)
        pages = [tab.pages.tabText(i) for i in range(tab.pages.count())]
        assert pages == ["Documents", "Unanswered questions"]
        assert gaps.store is store and gaps.kb == "shop"

        tab.kb.setCurrentText("depot")
        assert gaps.kb == "depot"

        answer = tmp_path / "answer.md"
        answer.write_text("# Parking\n\nVisitors park free in the depot yard on weekdays.\n")
        result = store.add("depot", [answer]).results[0]
        assert tab.documents.rowCount() == 0  # not listed until the tab hears of it
        gaps.answer_added.emit("depot", result)
        assert tab.current_kb() == "depot"
        assert cell(tab.documents, 0, FILE_COLUMN) == str(answer)
