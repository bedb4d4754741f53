"""The settings dialog saves to the file, and secrets to the keyring only."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from earpiece.core import secrets
from earpiece.core.settings import Settings, SettingsStore, load_settings, settings_path
from earpiece.desktop.settings.dialog import SettingsDialog
from earpiece.desktop.settings.provider_order import ProviderOrder
from tests.desktop.widgets import list_text

pytestmark = pytest.mark.gui


def _tick_first(order: ProviderOrder, name: str) -> None:
    """What a user does: drag `name` to the top and tick it."""
    row = next(r for r in range(order.count()) if order.item(r).data(Qt.ItemDataRole.UserRole) == name)
    item = order.takeItem(row)
    order.insertItem(0, item)
    item.setCheckState(Qt.CheckState.Checked)


def test_account_and_api_key_saved_with_secrets_in_the_keyring_only(qtbot: QtBot) -> None:
    dialog = SettingsDialog(SettingsStore(Settings()))
    qtbot.addWidget(dialog)
    page = dialog.accounts
    page.add_account()
    page.id.setText("office")
    page.username.setText("alice")
    page.domain.setText("pbx.example.com")
    page.password.setText("s3cret-sip-pw")
    page.allow_transfer_requests.setChecked(True)
    dialog.ai.groq_key.setText("gsk_test_key_123")
    _tick_first(dialog.ai.llm_providers, "groq")
    dialog.turn_taking.end_of_turn.setValue(800)
    dialog.turn_taking.minimise_to_tray.setChecked(True)

    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()

    text = settings_path().read_text()
    assert "s3cret-sip-pw" not in text and "gsk_test_key_123" not in text
    saved = json.loads(text)
    assert saved["sip"]["accounts"][0]["id"] == "office"
    assert saved["sip"]["accounts"][0]["allow_transfer_requests"] is True
    assert saved["llm"]["providers"] == ["groq", "offline"]
    assert load_settings().vad.end_of_turn_ms == 800 and load_settings().ui.minimise_to_tray
    assert secrets.get_secret("sip:office") == "s3cret-sip-pw"
    assert secrets.get_secret("groq") == "gsk_test_key_123"


def test_removing_an_account_deletes_its_password(qtbot: QtBot) -> None:
    secrets.set_secret("sip:old", "pw")
    settings = Settings.model_validate(
        {"sip": {"accounts": [{"id": "old", "username": "u", "domain": "d"}]}}
    )
    dialog = SettingsDialog(SettingsStore(settings))
    qtbot.addWidget(dialog)
    assert "keyring" in dialog.accounts.password.placeholderText()
    dialog.accounts.remove_account()
    dialog.save()
    assert load_settings().sip.accounts == []
    with pytest.raises(secrets.SecretMissingError):
        secrets.get_secret("sip:old")


def test_invalid_input_is_refused_with_a_reason_and_nothing_saved(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    dialog = SettingsDialog(SettingsStore(Settings()))
    qtbot.addWidget(dialog)
    dialog.accounts.add_account()
    dialog.accounts.id.setText("bad id!")
    for row in range(dialog.ai.llm_providers.count()):
        dialog.ai.llm_providers.item(row).setCheckState(Qt.CheckState.Unchecked)
    dialog.accept()
    assert not settings_path().exists()
    assert "Account id 'bad id!'" in warnings[0]
    assert "user name and domain are required" in warnings[0]
    assert "Language models: tick at least one" in warnings[0]


def test_without_a_keyring_settings_still_save_and_the_password_field_says_what_to_do(qtbot: QtBot) -> None:
    secrets_keyring = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())  # a machine with no OS keyring (conftest restores the test one)
    try:
        settings = Settings.model_validate(
            {"sip": {"accounts": [{"id": "old", "username": "u", "domain": "d"}]}}
        )
        dialog = SettingsDialog(SettingsStore(settings))
        qtbot.addWidget(dialog)
        page = dialog.accounts
        page.remove_account()  # removing an account must not need the keyring either
        page.add_account()
        page.username.setText("alice")
        page.domain.setText("pbx.example.com")
        assert page.password.isReadOnly()
        assert "EARPIECE_SECRET_SIP_ACCOUNT1" in page.password.placeholderText()
        assert dialog.ai.groq_key.isReadOnly()
        assert "EARPIECE_SECRET_GROQ" in dialog.ai.groq_key.toolTip()

        with qtbot.waitSignal(dialog.accepted, timeout=5000):
            dialog.accept()
    finally:
        keyring.set_keyring(secrets_keyring)
    assert [a.username for a in load_settings().sip.accounts] == ["alice"]


def test_a_password_typed_then_cleared_is_not_stored(qtbot: QtBot) -> None:
    dialog = SettingsDialog(SettingsStore(Settings()))
    qtbot.addWidget(dialog)
    page = dialog.accounts
    page.add_account()
    page.username.setText("alice")
    page.domain.setText("pbx.example.com")
    page.password.setText("typo")
    page.add_account()  # leaves the first account's form: what was typed is kept for saving
    page.username.setText("bob")
    page.domain.setText("pbx.example.com")
    page.list.setCurrentRow(0)
    assert page.password.text() == "typo"
    page.password.clear()
    dialog.save()
    with pytest.raises(secrets.SecretMissingError):
        secrets.get_secret("sip:account1")


def test_tab_titles_and_account_list_read_as_typed(qtbot: QtBot) -> None:
    dialog = SettingsDialog(SettingsStore(Settings()))
    qtbot.addWidget(dialog)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Network && security" in titles  # shown as "Network & security", not "Network _security"
    page = dialog.accounts
    page.add_account()
    assert list_text(page.list, 0) == "account1 (user name and domain still to fill in)"
    qtbot.keyClicks(page.username, "alice")
    qtbot.keyClicks(page.domain, "pbx.example.com")
    assert list_text(page.list, 0) == "account1: alice@pbx.example.com"


def test_provider_order_keeps_unknown_names_out_and_lists_every_known_one(qtbot: QtBot) -> None:
    order = ProviderOrder(("groq", "openai", "offline"), {})
    qtbot.addWidget(order)
    order.set_order(["offline", "gpt9", "groq"])
    assert order.order() == ["offline", "groq"]
    assert order.count() == 3  # openai is offered, unticked


def test_an_environment_override_is_used_and_shown_but_never_saved(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARPIECE_VAD__END_OF_TURN_MS", "900")
    store = SettingsStore(load_settings())
    changes: list[set[str]] = []
    store.subscribe(lambda change: changes.append(change.sections))
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    assert dialog.turn_taking.end_of_turn.value() == 900  # the setting in use
    dialog.audio.ringtone.setChecked(not store.current.audio.ringtone)  # the user's one change
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()
    assert json.loads(settings_path().read_text()) == {"audio": {"ringtone": store.current.audio.ringtone}}
    assert store.current.vad.end_of_turn_ms == 900 and changes == [{"audio"}]
    monkeypatch.delenv("EARPIECE_VAD__END_OF_TURN_MS")
    assert load_settings().vad.end_of_turn_ms == Settings().vad.end_of_turn_ms  # without the override
