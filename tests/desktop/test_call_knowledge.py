"""Which knowledge base a call searches: its account's (Settings), else the default; shown in the
call view and changeable for one call; new knowledge bases from the Knowledge tab are offered at
once (its `kb_changed` signal). Real SIP engine and a real knowledge store; the calls arrive as the
engine's own events."""

from __future__ import annotations

from pathlib import Path

import pytest
import qasync
from pytestqt.qtbot import QtBot

from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.secrets import set_secret
from earpiece.core.settings import AccountSettings, CallMode, load_settings
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.settings.dialog import SettingsDialog
from earpiece.desktop.tasks import spawn
from earpiece.sip.events import CallDirection, CallState, CallStateChanged, IncomingCall
from tests.desktop.windows import shown_window

pytestmark = [pytest.mark.gui, pytest.mark.models]


def call_on(window: MainWindow, call_id: str, account_id: str) -> None:
    window.phone.bridge.received.emit(IncomingCall(call_id=call_id, account_id=account_id,
                                                   remote_uri="sip:bob@example.org", display_name="",
                                                   auto_answer_in_s=None))
    window.phone.bridge.received.emit(CallStateChanged(
        call_id=call_id, account_id=account_id, direction=CallDirection.INBOUND, state=CallState.CONFIRMED,
        code=200, reason="", remote_uri="sip:bob@example.org"))


def end_call(window: MainWindow, call_id: str, account_id: str) -> None:
    window.phone.bridge.received.emit(CallStateChanged(
        call_id=call_id, account_id=account_id, direction=CallDirection.INBOUND, state=CallState.DISCONNECTED,
        code=200, reason="", remote_uri="sip:bob@example.org"))


def test_calls_search_their_accounts_knowledge_base_changeable_per_call(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with shown_window(qtbot, stop_timeout_ms=20_000) as window:
        with qtbot.waitSignal(window.phone.started, timeout=20_000):
            spawn(window.phone.start())
        store = KnowledgeStore(settings=window.settings.knowledge)
        window.models.store = store
        for name, text in (("returns", "Returns are free within 30 days."),
                           ("delivery", "Delivery costs 4.95 within the UK.")):
            store.create(name)
            (tmp_path / f"{name}.md").write_text(f"# {name}\n\n{text}\n")
            store.add(name, [tmp_path / f"{name}.md"])
        with qtbot.waitSignal(window.knowledge.kb_changed):
            window.knowledge.set_store(store)  # the tab lists them and says so
        assert [window.kb_choice.box.itemText(i) for i in range(window.kb_choice.box.count())] == [
            "delivery", "returns", "sample"]  # the bundled default is ingested when first used

        accounts = (AccountSettings(id="desk", username="a", domain="127.0.0.1", registration=False,
                                    knowledge_base="returns", default_mode=CallMode.OFF),
                    AccountSettings(id="plain", username="b", domain="127.0.0.1", registration=False,
                                    default_mode=CallMode.OFF))  # no AI session on these stand-in calls
        for account in accounts:
            with qtbot.waitSignal(window.phone.registration_changed, timeout=10_000):
                spawn(window.phone.add_account(account, password=""))

        call_on(window, "c1", "desk")
        assert window.phone.calls["c1"].knowledge_base == "returns"
        assert window.kb_choice.current() == "returns"  # shown in the call view
        index = window.kb_choice.box.findText("delivery")
        window.kb_choice.box.setCurrentIndex(index)
        window.kb_choice.box.activated.emit(index)  # the agent picks another one for this call
        assert window.phone.calls["c1"].knowledge_base == "delivery"
        assert window.settings.knowledge.default_kb == "sample"  # only this call

        call_on(window, "c2", "plain")
        assert window.phone.calls["c2"].knowledge_base == "sample"  # no account choice: the default

        found: list[str] = []
        spawn(_search(window, "delivery", found))
        qtbot.waitUntil(lambda: bool(found), timeout=30_000)
        assert found == ["delivery: Delivery costs 4.95 within the UK."]

        dialog = SettingsDialog(window.settings_store, window, window.knowledge_base_names())
        qtbot.addWidget(dialog)
        dialog.accounts.list.setCurrentRow(0)
        assert [dialog.accounts.knowledge_base.itemText(i)
                for i in range(dialog.accounts.knowledge_base.count())] == [
            "Default knowledge base", "delivery", "returns", "sample"]  # opening the store adds the sample


async def _search(window: MainWindow, kb: str, found: list[str]) -> None:
    retriever = await window.models.retriever(kb)
    passages = await retriever.search("how much is delivery", 1)
    found.extend(f"{retriever.kb_name}: {p.text.splitlines()[-1]}" for p in passages)


def test_a_changed_knowledge_base_is_searched_from_the_next_call_on(qtbot: QtBot, window: MainWindow) -> None:
    """#16 "changing it takes effect on the next call": the default (the idle selector, as in Settings)
    and then the account's own choice (Settings); a call already up keeps the one it started with."""
    try:
        window.kb_choice.set_names(["delivery", "returns", "sample"])  # what the Knowledge tab lists
        index = window.kb_choice.box.findText("delivery")
        window.kb_choice.box.setCurrentIndex(index)
        window.kb_choice.box.activated.emit(index)  # no call shown: the next calls' default
        assert load_settings().knowledge.default_kb == "delivery"
        call_on(window, "c1", "desk")
        assert window.phone.calls["c1"].knowledge_base == "delivery"

        set_secret("sip:desk", "unused")  # stored as the dialog stores an account's password
        desk = window.phone.accounts["desk"].model_copy(update={"knowledge_base": "returns"})
        sip = window.settings.sip.model_copy(update={"accounts": [desk]})
        window.settings_store.replace(window.settings.model_copy(update={"sip": sip}))  # as the dialog's OK
        qtbot.waitUntil(lambda: window.phone.accounts["desk"].knowledge_base == "returns", timeout=10_000)
        call_on(window, "c2", "desk")
        assert window.phone.calls["c2"].knowledge_base == "returns"
        assert window.phone.calls["c1"].knowledge_base == "delivery"
    finally:  # a window closed with calls up asks first (a modal question nobody answers here)
        for call_id in list(window.phone.calls):
            end_call(window, call_id, "desk")
    assert not window.phone.calls
