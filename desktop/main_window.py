"""The main window: composes the panels (one module each) and wires the phone, the voice engine,
the knowledge store and the demo call to them. Nothing here blocks the GUI thread: the SIP engine
has its own thread, and models and the store open in worker threads."""

from __future__ import annotations

import asyncio
import logging

from pydantic import ValidationError
from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QWidget,
)

from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.settings import CallMode, Settings, SettingsChanged, SettingsFileError, SettingsStore
from earpiece.desktop.about import show_about, show_shortcuts
from earpiece.desktop.ai_calls import AiCalls
from earpiece.desktop.call_actions import CallActions, make_action
from earpiece.desktop.call_recording import CallRecorder
from earpiece.desktop.call_view import CallView
from earpiece.desktop.card_voice import CardVoice
from earpiece.desktop.contacts import contacts
from earpiece.desktop.copilot_panel import CopilotPanel, SuggestionView
from earpiece.desktop.demo_call import DemoCall
from earpiece.desktop.engine_audio import apply_engine_audio, apply_volume, run_command
from earpiece.desktop.gaps_view import GapsView
from earpiece.desktop.history_panel import HistoryPanel
from earpiece.desktop.incoming_call import IncomingCallNotice
from earpiece.desktop.knowledge_choice import KnowledgeChoice
from earpiece.desktop.knowledge_tab import KnowledgeTab
from earpiece.desktop.latency_panel import LatencyPanel, LatencySample
from earpiece.desktop.latency_strip import LatencyStrip
from earpiece.desktop.phone import Phone
from earpiece.desktop.phone_panel import PhonePanel
from earpiece.desktop.settings.dialog import SettingsDialog
from earpiece.desktop.settings_signals import SettingsSignals
from earpiece.desktop.sounds import Player
from earpiece.desktop.style import apply_style
from earpiece.desktop.supervisor_view import SupervisorView
from earpiece.desktop.tasks import spawn
from earpiece.desktop.tray import Tray, app_icon
from earpiece.desktop.unsaved_settings import NOT_SAVED_LOOK, SessionOnlySettingsStore, not_saved_because
from earpiece.desktop.voice_models import VoiceModels

log = logging.getLogger(__name__)


def scrolling(widget: QWidget) -> QScrollArea:
    """The widget in a frameless scroll area: it scrolls rather than hold the window bigger."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, *, not_saved: str | None = None) -> None:
        """`not_saved`: why settings changes are in use but not saved this session (the settings file
        could not be used at start; see `unsaved_settings`)."""
        super().__init__()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_style(app)
        self.settings_store = (SettingsStore(settings) if not_saved is None
                               else SessionOnlySettingsStore(settings, not_saved))
        self.settings_signals = SettingsSignals(self.settings_store, self)
        self.setWindowTitle("Earpiece")
        self.setWindowIcon(app_icon())
        self.phone = Phone(self.settings_store, self)
        self.models = VoiceModels(self.settings_store, self._store_opened)
        self.ai = AiCalls(self.phone, self.settings_signals, self.models, self)
        self.demo = DemoCall(self.phone, self)
        self.shown_call_id = ""
        self.notices: dict[str, IncomingCallNotice] = {}
        self._closing = False
        self._told_about_tray = False

        self.recorder = CallRecorder(self.phone, self.settings_store, self)
        self.card_voice = CardVoice(self.phone, self.settings_store)
        self.phone_panel = PhonePanel(self.phone, self.recorder)
        self.copilot = CopilotPanel()
        self.latency = LatencyPanel()
        self.latency.setVisible(False)  # one click away, in the strip
        self.latency_strip = LatencyStrip()
        self.latency_strip.details_toggled.connect(self.latency.setVisible)
        self.kb_choice = KnowledgeChoice()
        self.kb_choice.show_kb(settings.knowledge.default_kb)
        call_bar = QWidget()
        call_bar_layout = QHBoxLayout(call_bar)
        call_bar_layout.setContentsMargins(0, 0, 0, 0)
        call_bar_layout.addWidget(self.kb_choice)
        call_bar_layout.addWidget(self.latency_strip, 1)
        self.history = HistoryPanel(contacts())
        self.knowledge = KnowledgeTab(settings.knowledge, gaps=GapsView(self.settings_signals))
        self.supervisor = SupervisorView(self.settings_signals)  # reads the call records when shown
        call_tab = QSplitter(Qt.Orientation.Vertical)
        call_tab.addWidget(self.copilot)
        call_tab.addWidget(call_bar)
        call_tab.addWidget(self.latency)
        call_tab.setCollapsible(1, False)
        call_tab.setSizes([560, 30, 200])
        self.tabs = QTabWidget()
        self.tabs.addTab(call_tab, "Call")
        self.tabs.addTab(self.history, "History && contacts")
        self.tabs.addTab(self.knowledge, "Knowledge")
        self.tabs.addTab(scrolling(self.supervisor), "Supervisor")  # taller than a small screen
        self.call_tab = call_tab
        phone_scroll = scrolling(self.phone_panel)  # fits small screens and 200 % scaling
        phone_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        phone_scroll.setMinimumWidth(self.phone_panel.sizeHint().width() + 16)
        split = QSplitter()
        split.addWidget(phone_scroll)
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
        self.recording_indicator = QLabel("● REC  recording")
        self.recording_indicator.setToolTip("A call is being recorded (Stop recording in the call controls)")
        self.recording_indicator.setStyleSheet("color: white; background-color: #c62828; font-weight: bold; "
                                               "padding: 1px 6px; border-radius: 3px;")
        self.recording_indicator.setVisible(False)
        self.recorder.changed.connect(
            lambda *_: self.recording_indicator.setVisible(bool(self.recorder.recording)))
        self.not_saved_indicator = QLabel("Settings not saved this session")
        self.not_saved_indicator.setStyleSheet(NOT_SAVED_LOOK)
        self.not_saved_indicator.setToolTip(not_saved or "")
        self.not_saved_indicator.setVisible(not_saved is not None)
        self.statusBar().addPermanentWidget(self.not_saved_indicator)
        self.statusBar().addPermanentWidget(self.recording_indicator)
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.busy)

        self._build_actions()
        self.tray = Tray(self, [self.demo_action, self.demo_auto_action, self.dnd_action,
                                self.settings_action, self.quit_action])
        if Tray.isSystemTrayAvailable():
            self.tray.show()
        self._connect()
        self.phone_panel.set_contacts(self.history.contacts.rows)
        self.copilot.set_mode(settings.ui.default_mode.value)  # idle: the mode the next call gets
        self.resize(1280, 800)
        if settings.ui.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.ui.window_geometry.encode()))

    @property
    def settings(self) -> Settings:
        """The settings in use. Never change them in place: `settings_signals.change()` or
        `settings_store.replace()` put new ones in use, save what changed and tell every part."""
        return self.settings_store.current

    # -- actions and shortcuts -------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.settings_action = make_action(self, "Settings…", self.open_settings, "Ctrl+,", "settings")
        self.demo_action = make_action(self, "Demo call: copilot", lambda: self.start_demo(CallMode.COPILOT),
                                       "Ctrl+D", "demo")
        self.demo_action.setToolTip("The phone rings; you answer and Earpiece suggests answers while the "
                                    "demo caller asks")
        self.demo_auto_action = make_action(self, "Demo call: autonomous",
                                            lambda: self.start_demo(CallMode.AUTONOMOUS), "Ctrl+Shift+D")
        self.demo_auto_action.setToolTip("Earpiece answers the demo caller by itself")
        self.quit_action = make_action(self, "Quit", self.quit, "Ctrl+Q")
        actions = self.call_actions = CallActions(self, self.phone, self.phone_panel)
        self.answer_action, self.hangup_action, self.hold_action, self.mute_action = actions.on_calls
        self.dnd_action = actions.dnd
        self.dnd_action.toggled.connect(self._dnd_toggled)
        call_actions = self.call_actions.on_calls
        self.shortcuts_action = make_action(self, "Keyboard shortcuts",
                                            lambda: show_shortcuts(self, self.actions()), "F1")
        self.about_action = make_action(self, "About Earpiece", lambda: show_about(self), "", "about")
        menu = self.menuBar()
        file_menu = menu.addMenu("&Earpiece")
        for action in (self.demo_action, self.demo_auto_action, self.settings_action, self.quit_action):
            file_menu.addAction(action)
        call_menu = menu.addMenu("&Call")
        for action in (*call_actions, actions.record, self.dnd_action):
            call_menu.addAction(action)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.demo_action, *call_actions, self.dnd_action, self.settings_action):
            toolbar.addAction(action)

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
        self.ai.unavailable.connect(self._ai_unavailable)
        self.settings_signals.changed.connect(self._settings_changed)
        self.ai.transcript.connect(self._transcript)
        self.ai.partial_transcript.connect(
            lambda call_id, speaker, text, at: self._transcript(call_id, speaker, text, at, provisional=True))
        self.ai.suggestion.connect(self._suggestion)
        self.ai.suggestion_withdrawn.connect(self._suggestion_withdrawn)
        self.ai.turn_metrics.connect(self._metrics)
        self.ai.problem.connect(lambda _call, text: self.show_message(text))
        self.copilot.mode_changed.connect(self._mode_changed)
        self.copilot.whisper.setChecked(self.settings.ui.whisper_to_agent)
        self.copilot.whisper_changed.connect(self._whisper_changed)
        self.copilot.say_requested.connect(lambda text: self.card_voice.say(self.shown_call_id, text))
        self.history.call_requested.connect(self._dial_from_history)
        self.history.contacts_changed.connect(
            lambda: self.phone_panel.set_contacts(self.history.contacts.rows))
        self.demo.status.connect(self.show_message)
        self.demo.finished.connect(lambda _code: self._demo_enabled(True))
        self.knowledge.ingest_progress.connect(self._ingest_progress)
        self.knowledge.kb_changed.connect(lambda _name: self._knowledge_bases_changed())
        self.kb_choice.chosen.connect(self._kb_chosen)


    def show_message(self, text: str) -> None:
        log.debug("%s", text)  # status texts name callers: not in the kept log at INFO
        self.statusBar().showMessage(text, 15000)

    def _loading(self, text: str) -> None:
        self.busy.setVisible(bool(text))
        self.busy_label.setText(text)

    def _ai_unavailable(self, reason: str) -> None:
        self.busy.setVisible(False)
        self.busy_label.setText(f"AI unavailable: {reason}")

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
        if self.dnd_action.isChecked():
            parts.append("do not disturb")
        self.tray.set_status(", ".join(parts))

    def _dnd_toggled(self, _on: bool) -> None:
        self.show_message("Do not disturb: incoming calls are declined." if self.dnd_action.isChecked()
                          else "Do not disturb is off: calls ring again.")
        self._update_tray()

    def _incoming(self, call: CallView) -> None:
        if self.dnd_action.isChecked():
            self.phone.reject(call.call_id)
            self.show_message(f"Do not disturb: declined a call from {call.title}.")
            return
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
            self.kb_choice.show_kb(call.knowledge_base)
        self._update_tray()

    def _answered(self, call: CallView) -> None:
        self._dismiss(call.call_id)
        self.shown_call_id = call.call_id
        self.copilot.show_call(call.title, call.mode.value, call.answered_at)
        self.kb_choice.show_kb(call.knowledge_base)
        self.latency.new_call()
        self.latency_strip.clear()
        self.tabs.setCurrentWidget(self.call_tab)

    def _ended(self, call: CallView) -> None:
        self._dismiss(call.call_id)
        if call.call_id == self.shown_call_id:
            self.copilot.call_title.setText(f"{call.title} ({call.status_text()})")
        self.history.show_history(self.phone.history())
        self._update_tray()

    def _transcript(self, call_id: str, speaker: str, text: str, at: float, *,
                    provisional: bool = False) -> None:
        if call_id == self.shown_call_id:
            self.copilot.add_transcript(speaker, text, at, provisional=provisional)

    def _suggestion(self, call_id: str, suggestion: SuggestionView) -> None:
        if call_id == self.shown_call_id:
            self.copilot.add_suggestion(suggestion)

    def _suggestion_withdrawn(self, call_id: str) -> None:
        if call_id == self.shown_call_id:
            self.copilot.withdraw_provisional()

    def _metrics(self, call_id: str, sample: LatencySample) -> None:
        if call_id == self.shown_call_id:
            self.latency.add_sample(sample)
            self.latency_strip.show_sample(sample)

    def _mode_changed(self, mode: str) -> None:
        if self.shown_call_id in self.phone.calls:
            self.phone.set_mode(self.shown_call_id, CallMode(mode))
        else:  # no call: the selector chooses the mode of the next calls, as Settings does
            self._change_settings("ui", default_mode=CallMode(mode))

    def knowledge_base_names(self) -> list[str]:
        store = self.models.store
        return [kb.name for kb in store.knowledge_bases()] if store is not None else []

    def _knowledge_bases_changed(self) -> None:
        """The Knowledge tab created, filled or removed a knowledge base: offer the current list."""
        self.kb_choice.set_names(self.knowledge_base_names())

    def _store_opened(self, store: KnowledgeStore) -> None:
        """The knowledge store is open (at start, or later for a call after a failed start)."""
        if not self._closing:
            self.knowledge.set_store(store)

    def _kb_chosen(self, name: str) -> None:
        if self.shown_call_id in self.phone.calls:
            self.phone.set_knowledge_base(self.shown_call_id, name)
            self.show_message(f"This call now searches the knowledge base {name!r}.")
        elif self._change_settings("knowledge", default_kb=name):  # no call: the next calls', as in Settings
            self.show_message(f"The next calls search the knowledge base {name!r} (unless their "
                              "account names another).")

    def _whisper_changed(self, on: bool) -> None:
        """Applies to copilot sessions started from now on: their suggestions are spoken into the headset."""
        self._change_settings("ui", whisper_to_agent=on)

    def _change_settings(self, section: str, **fields: object) -> bool:
        """A setting changed outside the Settings dialog: in use and saved at once. False, and the
        reason shown, when it could not be saved (the settings in use stay as they were)."""
        try:
            self.settings_signals.change(section, **fields)
        except SettingsFileError as exc:  # the file was broken meanwhile: it says so, and that it was kept
            self.show_message(str(exc))
        except (OSError, ValidationError) as exc:
            self.show_message(f"The setting was not saved: {exc}")
        else:
            return True
        self._show_choices(self.settings)  # the selectors show the settings still in use
        return False

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
        if self._closing:  # quit while the store was opening (first-run ingest): load nothing more
            return
        for result in results:
            if isinstance(result, BaseException):
                log.error("start-up failed: %s", result, exc_info=result)
                self.show_message(f"Start-up problem: {result}")
        if isinstance(results[1], BaseException):
            self.knowledge.store_unavailable(str(results[1]))
        apply_engine_audio(self.phone, self.settings)
        self.history.show_history(self.phone.history())
        self._update_tray()
        try:
            await self.ai.preload()
        except Exception as exc:
            self.show_message(f"The AI could not load: {exc}")
        if demo and self.phone.engine is not None:
            self.start_demo()

    def start_demo(self, mode: CallMode = CallMode.AUTONOMOUS) -> None:
        if self.demo.running or self.phone.engine is None:
            self.show_message("The phone is not ready for a demo call yet." if not self.demo.running else
                              "A demo call is already running.")
            return
        self._demo_enabled(False)
        spawn(self.demo.run(mode), lambda exc: self.show_message(f"Demo call failed: {exc}"))

    def _demo_enabled(self, on: bool) -> None:
        self.demo_action.setEnabled(on)
        self.demo_auto_action.setEnabled(on)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings_store, self, self.knowledge_base_names())
        if dialog.exec():
            self.show_message("Settings saved. Transport changes apply after a restart."
                              if not_saved_because(self.settings_store) is None else
                              "Settings in use until Earpiece quits, but not saved: the settings file could "
                              "not be used at start (see Settings not saved, below).")

    def _settings_changed(self, change: SettingsChanged) -> None:
        """New settings in use take effect: accounts at once, headset devices and volumes at once
        (calls too), codecs for the next calls; with no call shown, the selectors show the defaults."""
        old, new = change.old, change.new
        engine = self.phone.engine
        devices = (new.audio.input_device, new.audio.output_device)
        if devices != (old.audio.input_device, old.audio.output_device) and engine is not None:
            self.phone.set_audio_devices(*devices)
        if new.sip.accounts != old.sip.accounts:
            spawn(self.phone.apply_accounts(new))
        if new.sip.codec_order != old.sip.codec_order and engine is not None:
            spawn(run_command(self.phone, "Choosing the codecs", engine.set_codec_order(new.sip.codec_order)))
        volumes = (new.audio.microphone_volume, new.audio.speaker_volume)
        if volumes != (old.audio.microphone_volume, old.audio.speaker_volume):
            apply_volume(self.phone, new.audio)
            self.phone_panel.levels.show_volumes(*volumes)
        self.knowledge.settings = new.knowledge
        self._show_choices(new)

    def _show_choices(self, settings: Settings) -> None:
        """The call view's selectors show `settings` (with no call shown: the next call's mode and
        knowledge base)."""
        if self.shown_call_id not in self.phone.calls:
            self.copilot.set_mode(settings.ui.default_mode.value)
            self.kb_choice.show_kb(settings.knowledge.default_kb)
        self.copilot.whisper.blockSignals(True)  # shown, not a change of the agent's
        self.copilot.whisper.setChecked(settings.ui.whisper_to_agent)
        self.copilot.whisper.blockSignals(False)

    def changeEvent(self, event: QEvent) -> None:
        """With `ui.minimise_to_tray` and a tray icon, minimising hides the window to the tray
        ("Show Earpiece" or a click on the icon brings it back)."""
        super().changeEvent(event)
        if (event.type() is QEvent.Type.WindowStateChange and self.isMinimized()
                and self.settings.ui.minimise_to_tray and self.tray.isVisible()):
            QTimer.singleShot(0, self.hide)  # after the state change is done (hiding within it may undo it)

    def closeEvent(self, event: QCloseEvent) -> None:
        """With a tray icon, closing the window keeps Earpiece running there (Quit is in its menu)."""
        if not self._closing and self.tray.isVisible():
            event.ignore()
            self.hide()
            if not self._told_about_tray:
                self._told_about_tray = True
                self.tray.notify("Earpiece is still running", "Calls still ring. Quit from this icon's menu.")
            return
        if not self._closing and not self.quit():
            event.ignore()
            return
        event.accept()

    def quit(self) -> bool:
        """Quit in order; asks first only when a call is up (a stopped or stopping phone has none).
        False when the user chose to stay."""
        if self._closing:
            return True
        if not self.phone.stopped and self.phone.calls and QMessageBox.question(
            self, "Quit Earpiece", "A call is in progress. Hang up and quit?"
        ) != QMessageBox.StandardButton.Yes:
            return False
        self.request_quit()
        return True

    def request_quit(self) -> None:
        """Quit without asking (a signal from the system or the session manager)."""
        if not self._closing:
            self._closing = True
            spawn(self.shutdown())

    async def shutdown(self, quit_app: bool = True) -> None:
        """Stop everything in the order that loses nothing, then quit the application."""
        self._closing = True
        geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        try:
            self.settings_signals.change("ui", window_geometry=geometry)  # saved alone
        except (OSError, SettingsFileError) as exc:  # quit all the same
            log.error("could not save the window geometry: %s", exc)
        self.tray.hide()
        self.demo.stop()
        closing = self.ai.stop_all()
        if closing is not None:
            await closing  # the sessions' call records are written
        await self.phone.stop()
        await asyncio.to_thread(self.models.close)
        app = QApplication.instance()
        if app is not None and quit_app:
            app.quit()
