"""Builds the real stage stack from `Settings`: what the desktop app and `earpiece agent` call.

    store = KnowledgeStore(settings=settings.knowledge)          # one per process
    retriever = open_retriever(store, settings)                  # seeds the sample KB on first use
    stack = build_voice_stack(settings, retriever=retriever)
    await warm_up(stack)                                         # load the models before the call
    session = create_session(settings, stack, mode=CallMode.AUTONOMOUS, sink=call_sink)
    session.events.subscribe(on_event)
    await session.run(caller_frames)

Models are loaded once per process (the STT and TTS modules cache them), so a stack per call is
cheap; the fallback TTS chain keeps per-call state, which is why each call gets its own stack.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

from earpiece.core.audio.frames import AudioSink
from earpiece.core.audio.smart_turn import load_smart_turn
from earpiece.core.audio.turn_settings import Endpointing
from earpiece.core.engine.answering import Answerer
from earpiece.core.engine.config import EngineConfig, VoiceStack
from earpiece.core.engine.record import CallRecorder
from earpiece.core.engine.session import CallSession
from earpiece.core.interfaces import Passage, Retriever
from earpiece.core.knowledge import SAMPLE_KB, KnowledgeRetriever, KnowledgeStore, ensure_sample_kb
from earpiece.core.llm.factory import build_responder
from earpiece.core.llm.guard import GOODBYE_REPLY, HANDOVER_REPLY
from earpiece.core.llm.prompt import NOT_FOUND_REPLY
from earpiece.core.settings import CallMode, Settings
from earpiece.core.stt.select import speech_to_text
from earpiece.core.tts import ONE_MOMENT, CachedTextToSpeech, PhraseCache, build_text_to_speech

WARM_QUESTION = "When are you open on Saturday?"
WARM_PASSAGE = Passage("We are open from nine to five. On Saturday we open at ten.", "warm-up")


def open_retriever(
    store: KnowledgeStore, settings: Settings, kb_name: str | None = None
) -> KnowledgeRetriever:
    """The retriever over `kb_name` (default `knowledge.default_kb`). The bundled sample knowledge
    base is ingested into the store the first time it is asked for; other names must exist."""
    name = kb_name or settings.knowledge.default_kb
    if name == SAMPLE_KB:
        ensure_sample_kb(store)
    else:
        store.info(name)  # raises KnowledgeBaseNotFoundError naming the known ones
    return KnowledgeRetriever(store, name)


def build_answerer(settings: Settings, retriever: Retriever | None) -> Answerer:
    return Answerer(
        build_responder(settings),
        retriever,
        top_k=settings.knowledge.top_k,
        min_score=settings.knowledge.min_score,
    )


log = logging.getLogger(__name__)
PHRASES = PhraseCache()  # the fixed phrases' audio, made once per process by `warm_up`, shared by calls


def fixed_phrases(settings: Settings) -> tuple[str, ...]:
    """What every call may say word for word: spoken from memory, with no synthesis wait."""
    talk, calls = settings.conversation, settings.calls
    return (
        talk.greeting, talk.reprompt, talk.silence_goodbye, talk.not_caught, NOT_FOUND_REPLY,
        HANDOVER_REPLY, GOODBYE_REPLY, ONE_MOMENT, calls.goodbye, calls.no_transfer,
    )


def build_voice_stack(
    settings: Settings, *, retriever: Retriever | None = None, edge_endpoint: str | None = None
) -> VoiceStack:
    """The stages for one call. With `turns.endpointing = smart-turn` the turn model is loaded
    (once per process) and shared."""
    vocabulary = retriever.vocabulary() if retriever is not None else []
    smart_turn = settings.turns.endpointing is Endpointing.SMART_TURN
    return VoiceStack(
        stt=speech_to_text(settings.stt, vocabulary=vocabulary),
        tts=CachedTextToSpeech(build_text_to_speech(settings.tts, edge_endpoint=edge_endpoint), PHRASES),
        answerer=build_answerer(settings, retriever),
        vad=settings.vad,
        turns=settings.turns,
        turn_model=load_smart_turn(settings.turns) if smart_turn else None,
        phrases=fixed_phrases(settings),
    )


async def warm_up(stack: VoiceStack) -> None:
    """Load the recogniser, the first local voice and the turn model and run each once, so the first
    turn of the first call does not pay for loading or for the first (slower) inference; then
    cache the audio of the stack's fixed phrases (greeting, decline, goodbye, ...). Local voices
    after the first (Piper behind hibari) load when first needed: a fallback costs its load time
    once, instead of its memory in every process (~90 MB for Piper)."""
    voices = list(getattr(stack.tts, "providers", (stack.tts,)))
    local = [v for v in voices if getattr(v, "load", None) is not None]
    offline_voice = local[0] if local else voices[-1]  # an online voice before it may be down
    loaders: list[Any] = [getattr(stack.stt, "load", None), getattr(offline_voice, "load", None)]
    await asyncio.gather(*(load() for load in loaders if load is not None))
    speech = b"".join([chunk async for chunk in offline_voice.synthesize("Hello, how can I help you?")])
    await stack.stt.transcribe(speech)
    # The answer selector loads its sentence model on first use: not on the first caller's turn.
    await asyncio.to_thread(stack.answerer.selector.select, WARM_QUESTION, [WARM_PASSAGE])
    if stack.turn_model is not None:
        await asyncio.to_thread(stack.turn_model.judge, speech)
    try:
        await PHRASES.prepare(stack.tts, stack.phrases)
    except Exception:  # every voice failed: calls synthesise these phrases live instead
        log.warning("fixed phrases not cached", exc_info=True)


def freeze_heap() -> None:
    """Call once the models and the store are loaded. A full garbage collection walks every object
    they made (~60 ms on an idle 2-core machine) while holding the GIL, which stalls every call's
    20 ms audio clock; frozen objects are skipped from then on. `SipEngine.stop()` unfreezes
    before its teardown."""
    gc.collect()
    gc.freeze()


def create_session(
    settings: Settings,
    stack: VoiceStack,
    *,
    mode: CallMode,
    sink: AudioSink | None = None,
    agent_sink: AudioSink | None = None,
    call_id: str | None = None,
    recorder: CallRecorder | None = None,
    **config_overrides: Any,
) -> CallSession:
    """A session for one call; `config_overrides` are `EngineConfig` fields (greeting, timeouts)
    that replace what `settings.conversation` says. With `recorder` the call's record belongs to
    the caller (the call controller saves it once the call is over); without, the session saves
    its own when it ends."""
    return CallSession(
        stack,
        mode=mode,
        sink=sink,
        agent_sink=agent_sink,
        config=EngineConfig.from_settings(settings, **config_overrides),
        call_id=call_id,
        recorder=recorder,
    )
