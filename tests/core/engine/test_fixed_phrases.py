"""The fixed phrases every call may say are synthesised once, at warm-up, and played from memory."""

from __future__ import annotations

import asyncio

import pytest

from earpiece.core.engine.factory import PHRASES, build_voice_stack, warm_up
from earpiece.core.settings import Settings, SttSettings
from earpiece.core.tts.phrases import CachedTextToSpeech, spoken_sentences

pytestmark = pytest.mark.models


def test_warm_up_caches_every_fixed_phrase_and_calls_speak_them_from_memory() -> None:
    settings = Settings(stt=SttSettings(workers=0))
    settings.conversation.greeting = "Welcome to the fixed phrase test line."

    async def main() -> str:
        stack = build_voice_stack(settings)
        await warm_up(stack)
        missing = [s for p in stack.phrases for s in spoken_sentences(p) if PHRASES.audio(s) is None]
        assert not missing, missing
        assert isinstance(stack.tts, CachedTextToSpeech)
        stream = stack.tts.synthesize(settings.conversation.greeting)
        assert b"".join([chunk async for chunk in stream])
        return str(stream.served.provider)

    assert settings.conversation.greeting in build_voice_stack(settings).phrases
    assert "(cached)" in asyncio.run(main())


def test_warm_up_loads_the_first_local_voice_and_leaves_the_fallback_voice_unloaded() -> None:
    """With the default voices (hibari, then Piper), only hibari is loaded and run at start: Piper's
    memory is paid only by a process whose hibari fails."""
    from earpiece.core.tts.hibari import HibariTextToSpeech
    from earpiece.core.tts.piper import PiperTextToSpeech

    stack = build_voice_stack(Settings(stt=SttSettings(workers=0)))
    assert isinstance(stack.tts, CachedTextToSpeech)
    hibari, piper = stack.tts.providers
    assert isinstance(hibari, HibariTextToSpeech) and isinstance(piper, PiperTextToSpeech)
    asyncio.run(warm_up(stack))
    assert hibari._model is not None
    assert piper._model is None
