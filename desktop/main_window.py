"""The main window: composes the panels (one module each) and wires the phone, the voice engine,
the knowledge store and the demo call to them. Nothing here blocks the GUI thread: the SIP engine
has its own thread, and models and the store open in worker threads."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTabWidget,
)

from earpiece.core.settings import CallMode, Settings, save_settings
from earpiece.desktop.ai_calls import AiCalls
from earpiece.desktop.call_view import CallView
from earpiece.desktop.contacts import contacts
from earpiece.desktop.copilot_panel import CopilotPanel, SuggestionView
from earpiece.desktop.demo_call import DemoCall
from earpiece.desktop.history_panel import HistoryPanel
from earpiece.desktop.incoming_call import IncomingCallNotice
from earpiece.desktop.knowledge_tab import KnowledgeTab
from earpiece.desktop.latency_panel import LatencyPanel, LatencySample
from earpiece.desktop.phone import Phone
from earpiece.desktop.phone_panel import PhonePanel
from earpiece.desktop.settings.dialog import SettingsDialog
from earpiece.desktop.sounds import Player
from earpiece.desktop.supervisor_view import SupervisorView
from earpiece.desktop.tasks import spawn
from earpiece.desktop.tray import Tray, app_icon
from earpiece.desktop.voice_models import VoiceModels

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("Earpiece")
        self.setWindowIcon(app_icon())
        self.phone = Phone(settings, self)
        self.models = VoiceModels(settings)
        self.ai = AiCalls(self.phone, settings, self.models, self)
        self.demo = DemoCall(self.phone, self)
        self.shown_call_id = ""
        self.notices: dict[str, IncomingCallNotice] = {}
        self._closing = False

        self.phone_panel = PhonePanel(self.phone)
        self.copilot = CopilotPanel()
        self.latency = LatencyPanel()
        self.history = HistoryPanel(contacts())
        self.knowledge = KnowledgeTab(settings.knowledge)
        self.supervisor = SupervisorView(settings)  # reads the call records when shown
        call_tab = QSplitter(Qt.Orientation.Vertical)
        call_tab.addWidget(self.copilot)
        call_tab.addWidget(self.latency)
        call_tab.setSizes([360, 400])
        self.tabs = QTabWidget()
        self.tabs.addTab(call_tab, "Call")
        self.tabs.addTab(self.history, "History && contacts")
        self.tabs.addTab(self.knowledge, "Knowledge")
        self.tabs.addTab(self.supervisor, "Supervisor")
        self.call_tab = call_tab
        split = QSplitter()
        split.addWidget(self.phone_panel)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 900])
        self.setCentralWidget(split)

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.busy_label = QLabel("")
        self.busy_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.busy)

        self._build_actions()
        self.tray = Tray(self, [self.demo_action, self.quit_action])
        if Tray.isSystemTrayAvailable():
            self.tray.show()
        self._connect()
        self.phone_panel.set_contacts(self._contact_strings())
        self.resize(1280, 800)
        if settings.ui.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.ui.window_geometry.encode()))

    # -- actions and shortcuts -------------------------------------------------------------------
    def _action(self, text: str, slot: object, shortcut: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.settings_action = self._action("Settings…", self.open_settings, "Ctrl+,")
        self.demo_action = self._action("Demo call", self.start_demo, "Ctrl+D")
        self.quit_action = self._action("Quit", self.close, "Ctrl+Q")
        self.answer_action = self._action("Answer", self.answer_ringing, "Ctrl+Shift+A")
        self.hangup_action = self._action("Hang up", self.hang_up_current, "Ctrl+Shift+H")
        self.mute_action = self._action("Mute / unmute", self.toggle_mute, "Ctrl+Shift+M")
        menu = self.menuBar()
        file_menu = menu.addMenu("&Earpiece")
        for action in (self.demo_action, self.settings_action, self.quit_action):
            file_menu.addAction(action)
        call_menu = menu.addMenu("&Call")
        for action in (self.answer_action, self.hangup_action, self.mute_action):
            call_menu.addAction(action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        for action in (self.demo_action, self.answer_action, self.hangup_action, self.mute_action,
                       self.settings_action):
            toolbar.addAction(action)

    def answer_ringing(self) -> None:
        ringing = [c for c in self.phone.calls.values() if c.ringing_in]
        if ringing:
            self.phone.answer(ringing[-1].call_id)

    def hang_up_current(self) -> None:
        call = self.phone_panel.current_call() or next(iter(self.phone.calls.values()), None)
        if call is not None:
            self.phone.hangup(call.call_id)

    def toggle_mute(self) -> None:
        call = self.phone_panel.current_call()
        if call is not None and call.answered_at is not None:
            self.phone.set_mute(call.call_id, not call.muted)

    # -- wiring ----------------------------------------------------------------------------------
    def _connect(self) -> None:
        phone = self.phone
        phone.incoming_call.connect(self._incoming)
        phone.call_changed.connect(self._call_changed)
        phone.call_answered.connect(self._answered)
        phone.call_ended.connect(self._ended)
        phone.message.connect(self.show_message)
        phone.registration_changed.connect(lambda *_: self._update_tray())
        self.ai.loading.connect(self._loading)
        self.ai.transcript.connect(self._transcript)
        self.ai.suggestion.connect(self._suggestion)
        self.ai.turn_metrics.connect(self._metrics)
        self.ai.problem.connect(lambda _call, text: self.show_message(text))
        self.copilot.mode_changed.connect(self._mode_changed)
        self.copilot.whisper.setChecked(self.settings.ui.whisper_to_agent)
        self.copilot.whisper_changed.connect(self._whisper_changed)
        self.history.call_requested.connect(self._dial_from_history)
        self.history.contacts_changed.connect(
            lambda: self.phone_panel.set_contacts(self._contact_strings()))
        self.demo.status.connect(self.show_message)
        self.demo.finished.connect(lambda _code: self.demo_action.setEnabled(True))
        self.knowledge.ingest_progress.connect(self._ingest_progress)

    def _contact_strings(self) -> list[str]:
        return [c.uri for c in self.history.contacts.rows]

    def show_message(self, text: str) -> None:
        log.info("%s", text)
        self.statusBar().showMessage(text, 15000)

    def _loading(self, text: str) -> None:
        self.busy.setVisible(bool(text) and not text.startswith("AI unavailable"))
        self.busy_label.setText(text)

    def _ingest_progress(self, progress: object) -> None:
        from earpiece.core.knowledge import Progress

        if isinstance(progress, Progress) and progress.current is not None:
            self.busy_label.setText(f"Indexing knowledge {progress.files_done + 1}/{progress.files_total}…")

    def _update_tray(self) -> None:
        registered = [a for a, (state, _) in self.phone.registrations.items() if state.value == "registered"]
        calls = len(self.phone.calls)
        parts = [f"{len(registered)} account(s) registered" if registered else "no account registered"]
        if calls:
            parts.append(f"{calls} call(s)")
        self.tray.set_status(", ".join(parts))

    def _incoming(self, call: CallView) -> None:
        player = Player(self.settings.audio.output_device) if self.settings.audio.ringtone else None
        notice = IncomingCallNotice(call, player, self)
        notice.answer_clicked.connect(self.phone.answer)
        notice.reject_clicked.connect(self.phone.reject)
        self.notices[call.call_id] = notice
        notice.ring()
        self.tray.notify("Incoming call", call.title)
        self.phone_panel.select_call(call.call_id)

    def _dismiss(self, call_id: str) -> None:
        notice = self.notices.pop(call_id, None)
        if notice is not None:
            notice.done_ringing()

    def _call_changed(self, call: CallView) -> None:
        if not call.ringing_in:
            self._dismiss(call.call_id)
        if call.call_id == self.shown_call_id:
            self.copilot.set_mode(call.mode.value)
        self._update_tray()

    def _answered(self, call: CallView) -> None:
        self._dismiss(call.call_id)
        self.shown_call_id = call.call_id
        self.copilot.show_call(call.title, call.mode.value)
        self.tabs.setCurrentWidget(self.call_tab)

    def _ended(self, call: CallView) -> None:
        self._dismiss(call.call_id)
        if call.call_id == self.shown_call_id:
            self.copilot.call_title.setText(f"{call.title} (ended: {call.reason})")
        self.history.show_history(self.phone.history())
        self._update_tray()

    def _transcript(self, call_id: str, speaker: str, text: str) -> None:
        if call_id == self.shown_call_id:
            self.copilot.add_transcript(speaker, text)

    def _suggestion(self, call_id: str, suggestion: SuggestionView) -> None:
        if call_id == self.shown_call_id:
            self.copilot.add_suggestion(suggestion)

    def _metrics(self, _call_id: str, sample: LatencySample) -> None:
        self.latency.add_sample(sample)

    def _mode_changed(self, mode: str) -> None:
        if self.shown_call_id:
            self.phone.set_mode(self.shown_call_id, CallMode(mode))

    def _whisper_changed(self, on: bool) -> None:
        """Applies to copilot sessions started from now on: their suggestions are spoken into the headset."""
        self.settings.ui.whisper_to_agent = on

    def _dial_from_history(self, uri: str) -> None:
        self.phone_panel.address.setText(uri)
        self.phone_panel.dial()

    # -- start, settings, demo, close ------------------------------------------------------------
    async def start(self, *, demo: bool = False) -> None:
        """Start the phone and open the knowledge store side by side, then load the models."""
        self._loading("Starting the phone and the knowledge store…")
        results = await asyncio.gather(
            self.phone.start(), self.models.open_store(self.knowledge.ingest_progress.emit),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                log.error("start-up failed: %s", result, exc_info=result)
                self.show_message(f"Start-up problem: {result}")
        if self.models.store is not None:
            self.knowledge.set_store(self.models.store)
        self.history.show_history(self.phone.history())
        self._update_tray()
        try:
            await self.ai.preload()
        except Exception as exc:
            self.show_message(f"The AI could not load: {exc}")
        if demo and self.phone.engine is not None:
            self.start_demo()

    def start_demo(self) -> None:
        if self.demo.running or self.phone.engine is None:
            self.show_message("The phone is not ready for a demo call yet." if not self.demo.running else
                              "A demo call is already running.")
            return
        self.demo_action.setEnabled(False)
        spawn(self.demo.run(), lambda exc: self.show_message(f"Demo call failed: {exc}"))

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() and dialog.result_settings is not None:
            new = dialog.result_settings
            self.settings.__dict__.update(new.__dict__)  # panels hold this object: update in place
            spawn(self.phone.apply_settings(self.settings))
            self.show_message("Settings saved. Transport and device changes apply after a restart.")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.phone.calls and not self._closing and QMessageBox.question(
            self, "Quit Earpiece", "Calls are in progress. Hang up and quit?"
        ) != QMessageBox.StandardButton.Yes:
            event.ignore()
            return
        event.accept()
        if not self._closing:
            self._closing = True
            spawn(self.shutdown())

    def request_quit(self) -> None:
        """Quit without asking (a signal from the system or the session manager)."""
        if not self._closing:
            self._closing = True
            spawn(self.shutdown())

    async def shutdown(self, quit_app: bool = True) -> None:
        """Stop everything in the order that loses nothing, then quit the application."""
        self._closing = True
        self.settings.ui.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.error("could not save the window geometry: %s", exc)
        self.tray.hide()
        self.demo.stop()
        self.ai.stop_all()
        await asyncio.sleep(0.2)  # let the sessions save their call records
        await self.phone.stop()
        await asyncio.to_thread(self.models.close)
        app = QApplication.instance()
        if app is not None and quit_app:
            app.quit()
