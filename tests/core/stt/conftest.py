from __future__ import annotations

import asyncio

import pytest

from earpiece.core.settings import SttSettings
from earpiece.core.stt import WhisperSpeechToText


@pytest.fixture(scope="session")
def stt() -> WhisperSpeechToText:
    """The bundled tiny.en, loaded once per test session (the model is shared per process)."""
    recogniser = WhisperSpeechToText(SttSettings(model="tiny.en"))
    asyncio.run(recogniser.load())
    return recogniser
