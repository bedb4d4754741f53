"""The main window's small promises: call actions enabled only when they can act, the idle mode
selector agreeing with Settings, closing to the tray, quitting that asks only with a call up, a Help
menu, and sound-device errors in plain words. Calls arrive as the SIP engine's own events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication, QMessageBox, QToolBar
from pytestqt.qtbot import QtBot

from earpiece.core.knowledge import KnowledgeError, KnowledgeStore
from earpiece.core.settings import (
    AudioDeviceSettings,
    CallMode,
    Settings,
    SipSettings,
    UiSettings,
    load_settings,
    settings_path,
)
from earpiece.desktop import voice_models
from earpiece.desktop.about import about_text, shortcuts_text
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.tasks import spawn
from earpiece.sip.events import AudioDeviceProblem, CallDirection, CallState, CallStateChanged, IncomingCall
from tests.desktop.widgets import action_menu

pytestmark = pytest.mark.gui


MakeWindow = Callable[[Settings], MainWindow]


def shut_down(window: MainWindow) -> bool:
    return window.models.store is None and window.phone.engine is None and window._closing


@pytest.fixture
def make_window(qtbot: QtBot, qloop: qasync.QEventLoop) -> Iterator[MakeWindow]:
    """Windows shut down in order afterwards (without quitting the test's application)."""
    made: list[MainWindow] = []

    def make(settings: Settings) -> MainWindow:
        win = MainWindow(settings)
        qtbot.addWidget(win)
        made.append(win)
        return win

    yield make
    for win in made:
        spawn(win.shutdown(quit_app=False))
        qtbot.waitUntil(partial(shut_down, win))
        qtbot.wait(300)  # the shutdown task's last steps


@pytest.fixture
def window(make_window: MakeWindow) -> MainWindow:
    win = make_window(Settings())
    win.show()
    return win


def ring(window: MainWindow, call_id: str = "c1") -> None:
    window.phone.bridge.received.emit(IncomingCall(call_id=call_id, account_id="desk",
                                                   remote_uri="sip:bob@example.org", display_name="Bob",
                                                   auto_answer_in_s=None))


def state(window: MainWindow, call_state: CallState, call_id: str = "c1", reason: str = "") -> None:
    window.phone.bridge.received.emit(CallStateChanged(
        call_id=call_id, account_id="desk", direction=CallDirection.INBOUND, state=call_state, code=200,
        reason=reason, remote_uri="sip:bob@example.org"))


def enabled(window: MainWindow) -> dict[str, bool]:
    return {a.text(): a.isEnabled() for a in (window.answer_action, window.hangup_action,
                                              window.hold_action, window.mute_action)}


def test_call_actions_are_enabled_only_when_they_can_act(window: MainWindow) -> None:
    assert not any(enabled(window).values())
    ring(window)
    assert enabled(window) == {"Answer": True, "Hang up": True, "Hold / resume": False,
                               "Mute / unmute": False}
    state(window, CallState.CONFIRMED)
    assert enabled(window) == {"Answer": False, "Hang up": True, "Hold / resume": True, "Mute / unmute": True}
    state(window, CallState.DISCONNECTED, reason="hung up by the other party")
    assert not any(enabled(window).values())
    assert window.copilot.call_title.text() == "Bob <sip:bob@example.org> (ended: the caller hung up)"


@pytest.mark.parametrize("mode", [CallMode.COPILOT, CallMode.AUTONOMOUS, CallMode.OFF])
def test_idle_mode_selector_shows_the_default_mode(make_window: MakeWindow, mode: CallMode) -> None:
    win = make_window(Settings(ui=UiSettings(default_mode=mode)))
    assert win.copilot.mode.currentData() == mode.value
    other = CallMode.AUTONOMOUS if mode is not CallMode.AUTONOMOUS else CallMode.COPILOT
    win.copilot.mode.setCurrentIndex(win.copilot.mode.findData(other.value))
    assert win.settings.ui.default_mode is other  # no call: it chooses the next call's mode


def test_the_window_saves_only_what_the_agent_changed_never_an_environment_override(
        make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> None:
    monkeypatch.setenv("EARPIECE_VAD__END_OF_TURN_MS", "900")
    win = make_window(load_settings())
    win.copilot.mode.setCurrentIndex(win.copilot.mode.findData(CallMode.AUTONOMOUS.value))  # no call
    assert json.loads(settings_path().read_text()) == {"ui": {"default_mode": "autonomous"}}
    win.copilot.whisper.setChecked(not win.settings.ui.whisper_to_agent)
    assert win.settings.vad.end_of_turn_ms == 900 and win.settings.ui.default_mode is CallMode.AUTONOMOUS
    spawn(win.shutdown(quit_app=False))  # keeps the window's size and place
    qtbot.waitUntil(partial(shut_down, win))
    saved = json.loads(settings_path().read_text())
    assert list(saved) == ["ui"], saved
    assert sorted(saved["ui"]) == ["default_mode", "whisper_to_agent", "window_geometry"]


def test_closing_with_a_tray_hides_to_the_tray_and_quit_is_in_its_menu(
        window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    quits: list[bool] = []
    monkeypatch.setattr(window, "request_quit", lambda: quits.append(True))
    window.tray.setVisible(True)
    if not window.tray.isVisible():
        pytest.skip("no system tray on this display")
    window.close()
    assert not window.isVisible() and not quits  # still running, in the tray
    assert window.quit_action in window.tray.contextMenu().actions()
    window.tray.contextMenu().actions()[-1].trigger()
    assert quits == [True]


def test_minimising_hides_to_the_tray_when_the_setting_is_on(window: MainWindow, qtbot: QtBot) -> None:
    window.tray.setVisible(True)
    if not window.tray.isVisible():
        pytest.skip("no system tray on this display")
    window.showMinimized()
    qtbot.wait(100)
    assert window.isVisible()  # off by default: minimised to the task bar
    window.showNormal()
    window.settings_signals.change("ui", minimise_to_tray=True)
    window.showMinimized()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2_000)
    window.tray.contextMenu().actions()[0].trigger()  # "Show Earpiece"
    assert window.isVisible() and not window.isMinimized()


def test_quit_asks_only_when_a_call_is_up(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    quits: list[bool] = []
    monkeypatch.setattr(window, "request_quit", lambda: quits.append(True))

    def question(*args: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))  # (parent, title, text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)
    ring(window)
    state(window, CallState.CONFIRMED)
    window.quit_action.trigger()
    assert asked == ["A call is in progress. Hang up and quit?"] and not quits
    state(window, CallState.DISCONNECTED, reason="hung up here")
    window.quit_action.trigger()
    assert len(asked) == 1 and quits == [True]


def test_a_stopped_phone_has_no_call_to_ask_about(
        qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Closing the window after its phone stopped must not wait on a question (a modal box that no
    one answers hung the test run): events still queued from the stopped engine bring no call back,
    and a call left over from before the stop is not asked about."""
    asked: list[object] = []
    quits: list[bool] = []
    monkeypatch.setattr(window, "request_quit", lambda: quits.append(True))

    def question(*args: object) -> QMessageBox.StandardButton:
        asked.append(args)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)
    ring(window)
    state(window, CallState.CONFIRMED)
    left_over = dict(window.phone.calls)
    stopping = spawn(window.phone.stop())
    qtbot.waitUntil(stopping.done, timeout=20_000)
    ring(window, "c2")  # queued before the stop, delivered after it
    assert window.phone.calls == {}
    window.phone.calls.update(left_over)
    window.quit_action.trigger()
    assert not asked and quits == [True]


def test_help_menu_has_shortcuts_and_about(window: MainWindow) -> None:
    menus = {a.text(): action_menu(a) for a in window.menuBar().actions()}
    help_actions = [a.text() for a in menus["&Help"].actions()]
    assert help_actions == ["Keyboard shortcuts", "About Earpiece"]
    text = shortcuts_text(window.actions())
    for line in ("Ctrl+Shift+A\tAnswer", "Ctrl+Shift+H\tHang up", "Ctrl+Shift+P\tHold / resume",
                 "Ctrl+Shift+M\tMute / unmute"):
        assert line in text
    assert "Earpiece 0." in about_text()


def test_sound_device_errors_are_told_in_plain_words(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.phone.message) as said:
        window.phone.bridge.received.emit(AudioDeviceProblem(device="", direction="input",
                                                             message="Error querying device -1"))
    assert said.args == ["Headset microphone: no sound device was found (is a headset plugged in?)"]


def test_one_bundled_icon_set_with_its_licence_and_one_stylesheet(
        window: MainWindow, qapp: QApplication) -> None:
    from earpiece.core.paths import resources_dir
    from earpiece.desktop.icons import ACTION_ICONS

    toolbar = window.findChild(QToolBar, "main-toolbar")
    assert toolbar is not None
    for action in toolbar.actions():
        assert not action.icon().isNull(), action.text()
    folder = resources_dir() / "icons" / "adwaita"
    assert sorted(p.stem for p in folder.glob("*.svg")) == sorted(ACTION_ICONS.values())
    licences = (resources_dir() / "icons" / "LICENSES.md").read_text()
    assert "adwaita/*.svg" in licences and "CC BY-SA 3.0" in licences
    assert "QPushButton#answer" in qapp.styleSheet()


def test_quitting_stops_the_phone_only_once_the_sessions_wrote_their_records(
        window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    records_written: asyncio.Future[list[object]] = asyncio.get_event_loop().create_future()
    monkeypatch.setattr(window.ai, "stop_all", lambda: records_written)
    phone_stops: list[bool] = []
    phone_stop = window.phone.stop

    async def stop() -> None:
        phone_stops.append(records_written.done())
        await phone_stop()

    monkeypatch.setattr(window.phone, "stop", stop)
    spawn(window.shutdown(quit_app=False))
    qtbot.wait(1000)  # a session still saying goodbye
    assert not phone_stops
    records_written.set_result([])
    qtbot.waitUntil(lambda: bool(phone_stops))
    assert phone_stops == [True]


def test_models_that_cannot_load_say_ai_unavailable_and_stop_the_busy_bar(
        window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    async def load() -> None:
        raise RuntimeError("the speech model is missing")

    monkeypatch.setattr(window.models, "load", load)
    with qtbot.waitSignal(window.ai.unavailable) as failed:
        window.ai.preload()
    assert failed.args == ["the speech model is missing"]
    assert window.busy.isHidden()
    assert window.busy_label.text() == "AI unavailable: the speech model is missing"


def test_a_store_that_cannot_open_at_start_says_so_and_reaches_the_tab_when_a_call_opens_it(
        make_window: MakeWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    tries: list[int] = []
    opened: list[KnowledgeStore] = []

    def open_store(**kwargs: Any) -> KnowledgeStore:
        tries.append(len(tries))
        if len(tries) == 1:  # the first try fails, as when another Earpiece still has the store
            raise KnowledgeError("the knowledge store is in use by another process")
        opened.append(KnowledgeStore(**kwargs))
        return opened[-1]

    async def no_models() -> None:
        raise RuntimeError("not loaded in this test")

    monkeypatch.setattr(voice_models, "KnowledgeStore", open_store)
    monkeypatch.setattr(voice_models, "ensure_sample_kb", lambda *_args: None)
    win = make_window(Settings(sip=SipSettings(bind_address="127.0.0.1", udp_port=0, enable_tcp=False),
                               audio=AudioDeviceSettings(input_device="none", output_device="none")))
    monkeypatch.setattr(win.models, "load", no_models)
    started = spawn(win.start())
    qtbot.waitUntil(started.done, timeout=20_000)
    assert win.knowledge.status.text() == (
        "The knowledge store could not be opened: the knowledge store is in use by another process. "
        "It is tried again with the next call, and at the next start.")
    assert not win.knowledge.isEnabled()
    spawn(win.models.open_store())  # as a call's stack does
    qtbot.waitUntil(win.knowledge.isEnabled, timeout=20_000)
    assert win.knowledge.store is opened[-1] and win.knowledge.status.text() == ""
