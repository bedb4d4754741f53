"""Says a suggestion card into the agent's headset when the agent asks for it (the card's "Say in my
headset" button): the headset speaker only, never into the call. Uses the configured voice (its model
is shared with the calls' voice stacks), built once on first use off the GUI thread."""

from __future__ import annotations

import asyncio

from earpiece.core.interfaces import TextToSpeech
from earpiece.core.settings import SettingsStore
from earpiece.core.tts import build_text_to_speech
from earpiece.core.tts.sentences import speak_text
from earpiece.desktop.phone import Phone
from earpiece.desktop.tasks import spawn

NO_HEADSET = ("No headset speaker is connected, so the card cannot be said to you only "
              "(choose one in Settings > Audio).")


class CardVoice:
    def __init__(self, phone: Phone, store: SettingsStore) -> None:
        self.phone = phone
        self.settings_store = store
        self._tts: TextToSpeech | None = None

    def say(self, call_id: str, text: str) -> None:
        spawn(self.speak(call_id, text),
              lambda exc: self.phone.message.emit(f"Saying the card failed: {exc}"))

    async def speak(self, call_id: str, text: str) -> bool:
        """True once the whole card was handed to the headset; False (and a message) when it cannot be."""
        engine = self.phone.engine
        if engine is None or call_id not in self.phone.calls:
            self.phone.message.emit("There is no call to say the card in.")
            return False
        sink = engine.call_audio(call_id).agent.sink
        if not sink.connected:
            self.phone.message.emit(NO_HEADSET)
            return False
        if self._tts is None:
            self._tts = await asyncio.to_thread(build_text_to_speech, self.settings_store.current.tts)
        async for pcm in speak_text(self._tts, text):
            sink.write(pcm)
        return True
