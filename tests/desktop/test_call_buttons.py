"""Hold, mute, the dial pad's DTMF, the keyboard shortcuts and blind transfer to a picked contact,
pressed in the window during a real call to baresip (an independent softphone), direct over
127.0.0.1. The AI is off: these are the plain phone's buttons."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from earpiece.core.settings import AccountSettings
from earpiece.desktop.call_view import CallView
from earpiece.desktop.contacts import Contact
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.tasks import spawn
from earpiece.sip.events import MediaStatus
from tests.desktop.conftest import connected_call
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio

pytestmark = [pytest.mark.gui, pytest.mark.peers]

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_hold_mute_dtmf_and_shortcuts_against_a_real_peer(qtbot: QtBot, window: MainWindow) -> None:
    with Baresip("bob", auto_answer=True) as bob:
        call = connected_call(qtbot, window, bob)
        panel = window.phone_panel
        said: list[str] = []
        window.phone.message.connect(said.append)
        assert panel.hold_button.isEnabled() and panel.mute_button.isEnabled()

        panel.hold_button.click()  # re-INVITE sendonly; baresip answers recvonly
        qtbot.waitUntil(lambda: call.media is MediaStatus.LOCAL_HOLD, timeout=5_000)
        assert panel.hold_button.text() == "Resume" and panel.hold_button.isChecked()
        panel.hold_button.click()
        qtbot.waitUntil(lambda: call.media is MediaStatus.ACTIVE, timeout=10_000)
        assert not [line for line in said if "failed" in line], said
        assert panel.hold_button.text() == "Hold"

        panel.mute_button.click()
        qtbot.waitUntil(lambda: call.muted, timeout=5_000)
        assert panel.mute_button.text() == "Unmute"
        qtbot.keyClick(window, Qt.Key.Key_M, CTRL_SHIFT)
        qtbot.waitUntil(lambda: not call.muted, timeout=5_000)  # Ctrl+Shift+M: unmuted again

        typed = panel.address.text()
        since = bob.event_count()
        qtbot.mouseClick(panel.dialpad.buttons["5"], Qt.MouseButton.LeftButton)
        assert bob.wait_event("CALL_DTMF_START", timeout=5, since=since)["param"] == "5"
        assert panel.address.text() == typed  # during a call the pad sends tones, it does not type

        qtbot.keyClick(window, Qt.Key.Key_P, CTRL_SHIFT)
        qtbot.waitUntil(lambda: call.media is MediaStatus.LOCAL_HOLD, timeout=5_000)  # Ctrl+Shift+P: hold

        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000) as ended:
            qtbot.keyClick(window, Qt.Key.Key_H, CTRL_SHIFT)
        assert ended.args[0].reason == "hung up here"
        bob.wait_event("CALL_CLOSED", timeout=5)


def test_a_ringing_call_is_answered_with_its_shortcut(qtbot: QtBot, window: MainWindow) -> None:
    """#16 must-be-true 5: the answer shortcut (Ctrl+Shift+A), pressed while a real call rings."""
    host, port = window.phone.local_sip_address()
    with Baresip("bob") as bob:
        with qtbot.waitSignal(window.phone.incoming_call, timeout=15_000) as ringing:
            bob.command("dial", f"sip:agent@{host}:{port}")
        qtbot.wait(500)
        assert ringing.args[0].ringing_in  # no automatic answer: the shortcut answers it
        typed_into = QApplication.focusWidget()  # where the keys go: the ringing notice has come up on top
        assert typed_into is not None and typed_into.window() is window.notices[ringing.args[0].call_id]
        with qtbot.waitSignal(window.phone.call_answered, timeout=10_000):
            qtbot.keyClick(typed_into, Qt.Key.Key_A, CTRL_SHIFT)
        bob.wait_event("CALL_ESTABLISHED", timeout=5)
        assert ringing.args[0].call_id not in window.notices  # the notice went with the ringing
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000):
            window.hangup_action.trigger()  # its shortcut is in test_hold_mute_dtmf_and_shortcuts_…


def test_resume_pressed_right_after_hold_takes_the_call_off_hold(qtbot: QtBot, window: MainWindow) -> None:
    """The hold's re-INVITE is still open when Resume is pressed (PJSIP refuses a second one with
    PJ_EINVALIDOP): the resume waits for it and is sent then, with no error for the agent."""
    with Baresip("bob", auto_answer=True) as bob:
        call = connected_call(qtbot, window, bob)
        panel = window.phone_panel
        said: list[str] = []
        window.phone.message.connect(said.append)
        # Every media state the call passes through: on hold may last too short a time to be seen
        # by polling `call.media`, and the two changes may come in one batch of events.
        media: list[MediaStatus] = []

        def changed(view: CallView) -> None:
            if view.call_id == call.call_id:
                media.append(view.media)

        window.phone.call_changed.connect(changed)

        def held_then_resumed() -> bool:
            held = MediaStatus.LOCAL_HOLD in media
            return held and MediaStatus.ACTIVE in media[media.index(MediaStatus.LOCAL_HOLD):]

        for _ in range(2):
            media.clear()
            panel.hold_button.click()
            window.phone.set_hold(call.call_id, False)  # Resume at once: the button still reads "Hold"
            qtbot.waitUntil(held_then_resumed, timeout=15_000)
            assert call.media is MediaStatus.ACTIVE
            assert not [line for line in said if "failed" in line], said
        assert panel.hold_button.text() == "Hold" and not panel.hold_button.isChecked()
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000):
            window.hangup_action.trigger()


def test_blind_transfer_to_a_picked_contact(qtbot: QtBot, window: MainWindow) -> None:
    with Baresip("bob", auto_answer=True) as bob, Baresip("carol") as carol:
        window.phone_panel.set_contacts([Contact("Carol", carol.aor), Contact("Dave", "sip:dave@192.0.2.1")])
        call = connected_call(qtbot, window, bob)
        window.phone_panel.transfer_button.click()
        dialog = window.phone_panel.transfer_dialog
        assert dialog is not None and dialog.isVisible()
        names = [dialog.target.itemText(i) for i in range(dialog.target.count())]
        assert names == [f"Carol <{carol.aor}>", "Dave <sip:dave@192.0.2.1>"]
        dialog.target.setCurrentIndex(0)
        assert dialog.destination() == carol.aor
        with qtbot.waitSignal(window.phone.call_ended, timeout=15_000) as ended:
            dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
            incoming = carol.wait_event("CALL_INCOMING", timeout=10)
            assert "sip:bob@" in incoming["peeruri"]
            carol.command("accept")
        assert ended.args[0].call_id == call.call_id
        assert ended.args[0].reason in ("transferred", "hung up by the other party")
        carol.wait_event("CALL_ESTABLISHED", timeout=5)
        carol.command("hangup")


def test_do_not_disturb_declines_without_ringing(
    qtbot: QtBot, window: MainWindow, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = window.phone.local_sip_address()
    with Baresip("bob") as bob:
        window.dnd_action.trigger()
        assert "do not disturb" in window.tray.toolTip()
        caplog.set_level(logging.INFO)
        with qtbot.waitSignal(window.phone.call_ended, timeout=15_000) as ended:
            bob.command("dial", f"sip:agent@{host}:{port}")
        assert not window.notices  # no ringing notice
        assert bob.wait_event("CALL_CLOSED", timeout=5)
        assert ended.args[0].reason == "rejected here"
        assert "declined a call from" in window.statusBar().currentMessage()
        assert not [r for r in caplog.records if "bob" in r.getMessage()], "the caller is in the kept log"
        window.dnd_action.trigger()
        with qtbot.waitSignal(window.phone.incoming_call, timeout=15_000):
            bob.command("dial", f"sip:agent@{host}:{port}")
        assert window.notices  # rings again
        bob.command("hangup")


def test_registration_status_per_account_and_test_registration(qtbot: QtBot, window: MainWindow) -> None:
    with Kamailio(users={"alice": "alice-pw"}) as registrar:
        account = AccountSettings(id="alice", username="alice", domain=f"{registrar.domain}:{registrar.port}")
        with qtbot.waitSignal(window.phone.registration_changed, timeout=10_000,
                              check_params_cb=lambda a, state, _r: a == "alice" and state == "registered"):
            spawn(window.phone.add_account(account, password="alice-pw"))
        panel = window.phone_panel
        rows = {panel.accounts.item(i).data(Qt.ItemDataRole.UserRole): panel.accounts.item(i)
                for i in range(panel.accounts.count())}
        assert rows["alice"].text().startswith("● alice")
        panel.accounts.setCurrentItem(rows["desk"])
        assert not panel.test_registration.isEnabled()  # direct calls only: nothing to register
        panel.accounts.setCurrentItem(rows["alice"])
        assert panel.test_registration.isEnabled()
        seen: list[str] = []
        window.phone.registration_changed.connect(
            lambda a, state, _r: seen.append(state) if a == "alice" else None)
        with qtbot.waitSignal(window.phone.registration_changed, timeout=10_000,
                              check_params_cb=lambda a, state, _r: a == "alice" and state == "registered"):
            panel.test_registration.click()
        assert seen[0] == "registering" and seen[-1] == "registered"
        assert rows["alice"].text().startswith("● alice")


def test_level_meters_show_the_callers_voice(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    rate = 16000
    t = np.arange(rate * 10) / rate
    tone = tmp_path / "tone.wav"
    with wave.open(str(tone), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.sin(2 * np.pi * 440 * t) * 0.3 * 32767).astype("<i2").tobytes())
    with Baresip("bob", auto_answer=True, source_wav=tone) as bob:
        connected_call(qtbot, window, bob)
        meters = window.phone_panel.levels
        assert meters.isVisible()
        qtbot.waitUntil(lambda: meters.caller.value() > 60, timeout=5_000)  # a -10 dBFS tone
        assert meters.microphone.value() == 0  # no headset in the test
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000):
            window.hangup_action.trigger()
        assert meters.caller.value() == 0 and not meters.isVisible()  # let go with the call


def test_headset_devices_are_switched_during_a_call_from_settings(qtbot: QtBot, window: MainWindow) -> None:
    with Baresip("bob", auto_answer=True) as bob:
        call = connected_call(qtbot, window, bob)
        new = window.settings.model_copy(deep=True)
        new.audio.input_device = new.audio.output_device = ""  # the system default: none on this machine
        said: list[str] = []
        window.phone.message.connect(said.append)
        window.settings_store.replace(new)
        qtbot.waitUntil(lambda: any(line.startswith("Headset") for line in said), timeout=10_000)
        # the engine was asked at once, mid-call; without a sound card it says so in plain words
        assert next(line for line in said if line.startswith("Headset")) in (
            "Headset devices switched.",
            "Headset microphone: no sound device was found (is a headset plugged in?)",
            "Headset speaker: no sound device was found (is a headset plugged in?)")
        assert call.call_id in window.phone.calls  # the call goes on
        assert window.settings.audio.input_device == ""
