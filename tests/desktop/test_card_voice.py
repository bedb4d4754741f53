"""A suggestion card said into the agent's headset on request ("Say in my headset"), during a real call
to baresip: the headset speaker hears the voice, the caller hears none of it. The headset is made of
pjsua2 media (no sound card here): a Python port as its speaker, no microphone."""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from earpiece.desktop.card_voice import NO_HEADSET
from earpiece.desktop.copilot_panel import SuggestionView
from earpiece.desktop.main_window import MainWindow
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import SipEvent
from earpiece.sip.headset import Headset
from tests.desktop.conftest import connected_call
from tests.peers.baresip import Baresip
from tests.peers.process import wait_for
from tests.sip.helpers import read_wav, rms
from tests.sip.test_headset import _Speaker

pytestmark = [pytest.mark.gui, pytest.mark.peers, pytest.mark.models]

CARD = SuggestionView("Delivery costs 4.95 and takes two working days.", "How much is delivery?")


class _SpeakerOnly:
    """`SipEngine(open_headset=...)`: a headset whose speaker keeps what it hears."""

    def __init__(self) -> None:
        self.speakers: list[_Speaker] = []

    def __call__(self, _input: str, _output: str, _emit: Callable[[SipEvent], None], _failed: Any) -> Headset:
        self.speakers.append(_Speaker())
        return Headset(None, self.speakers[-1])


def _finished_wav(paths: list[Path]) -> bool:
    try:
        return bool(paths) and bool(read_wav(paths[-1])[0])
    except (OSError, EOFError, wave.Error):
        return False


@pytest.fixture
def headset(monkeypatch: pytest.MonkeyPatch) -> Iterator[_SpeakerOnly]:
    devices = _SpeakerOnly()
    monkeypatch.setattr("earpiece.desktop.phone.SipEngine", partial(SipEngine, open_headset=devices))
    yield devices


def test_a_card_is_said_into_the_agents_headset_and_not_to_the_caller(
        qtbot: QtBot, headset: _SpeakerOnly, window: MainWindow) -> None:
    with Baresip("bob", auto_answer=True) as bob:
        connected_call(qtbot, window, bob)
        card = window.copilot.add_suggestion(CARD)
        assert card.say_button.isEnabled() and not card.say_button.isHidden()
        speaker = headset.speakers[-1]
        mark = len(speaker.heard)
        card.say_button.click()
        qtbot.waitUntil(lambda: rms(b"".join(speaker.heard[mark:])) > 100, timeout=60_000)  # silence: 0
        heard_until = len(speaker.heard)
        qtbot.wait(2000)  # the rest of the card, which the caller must not hear either
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000):
            window.hangup_action.trigger()
        assert wait_for(lambda: _finished_wav(bob.recordings("dec")), 5)  # written at the call's end
        peer_heard, _rate = read_wav(bob.recordings("dec")[-1])
    said = b"".join(speaker.heard[mark:heard_until])
    print("headset rms", round(rms(said)), "peer rms", round(rms(peer_heard)))
    assert rms(peer_heard) < 30, "the card reached the caller"
    not_confident = window.copilot.add_suggestion(SuggestionView("", "Do you ship to Mars?"))
    assert not not_confident.say_button.isEnabled()  # nothing to say


def test_without_a_headset_speaker_the_agent_is_told(qtbot: QtBot, window: MainWindow) -> None:
    with Baresip("bob", auto_answer=True) as bob:
        call = connected_call(qtbot, window, bob)
        said: list[str] = []
        window.phone.message.connect(said.append)
        window.copilot.add_suggestion(CARD).say_button.click()
        qtbot.waitUntil(lambda: NO_HEADSET in said, timeout=5_000)
        assert call.call_id in window.phone.calls
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000):
            window.hangup_action.trigger()
