"""Speech to text with faster-whisper (CTranslate2), offline, from the bundled model by default.

Threads: the model is loaded once per process per (model, compute type, threads) and shared.
Calls on one model are serialised by that model's lock: on a 2-core machine two decodes at once
are not faster than one after the other (each already uses `stt.threads` cores), and
faster-whisper's Python side (feature extractor, tokenizer) is not documented as thread-safe. The
decode itself runs in a worker thread (`asyncio.to_thread`); CTranslate2 releases the GIL.

Guards against Whisper's hallucinations on silence and noise, in order:
1. VAD gate: audio with less than `min_voiced_ms` of speech (webrtcvad) is not decoded at all.
2. No conditioning on previous text (`condition_on_previous_text=False`), temperature 0 only
   (the fallback temperatures are where noise turns into sentences, and they cost time).
3. Segments are dropped when `no_speech_prob` is high and the text is not confident,
   when `avg_logprob` is very low, or when the text repeats itself (compression ratio).
4. Last resort: non-speech tags ("[BLANK_AUDIO]", "(music)") and known phrases Whisper invents
   from its subtitle training data ("Thanks for watching") are removed.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from earpiece.core.audio.pcm import duration_s, pcm16_to_float
from earpiece.core.interfaces import Transcript
from earpiece.core.models import whisper_model
from earpiece.core.settings import SttSettings
from earpiece.core.stt.gate import SpeechGate

if TYPE_CHECKING:  # imported when a model loads: a Moonshine worker process never needs CTranslate2
    from faster_whisper import WhisperModel
    from faster_whisper.transcribe import Segment

KNOWN_HALLUCINATIONS = (
    "thanks for watching", "thank you for watching", "thank you so much for watching",
    "please subscribe", "like and subscribe", "subscribe to my channel", "subtitles by",
    "amara.org", "see you in the next video", "see you next time", "transcribed by",
)
_NON_SPEECH = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫]")
_ONLY_FILLER = {"you"}  # the classic tiny-model output for a breath
# A few terms: biasing with every distinctive word of a knowledge base put one page's jargon into
# callers' transcripts. bench/stt, tiny.en, 82 test questions, WER wideband / narrowband: unbiased
# 17.4 / 43.3 %, every word (~400 characters) 18.5 / 49.1 %, <= 12 recurring terms 16.7 / 45.5 %.
HOTWORD_TERMS = 12


@dataclass(frozen=True, slots=True)
class _Loaded:
    model: WhisperModel
    lock: threading.Lock


_models: dict[tuple[Path, str, int], _Loaded] = {}
_models_lock = threading.Lock()


def _load(settings: SttSettings) -> _Loaded:
    folder = whisper_model(settings).files[0]
    key = (folder, settings.compute_type, settings.threads)
    with _models_lock:
        if key not in _models:
            from faster_whisper import WhisperModel

            model = WhisperModel(
                str(folder), device="cpu", compute_type=settings.compute_type,
                cpu_threads=settings.threads, local_files_only=True,
            )
            _models[key] = _Loaded(model, threading.Lock())
        return _models[key]


def load_whisper_model(settings: SttSettings) -> WhisperModel:
    """The shared model for these settings (about 1 s the first time)."""
    return _load(settings).model


def hotwords_from_vocabulary(
    words: Iterable[str], max_terms: int = HOTWORD_TERMS, max_chars: int = 400
) -> str | None:
    """The first `max_terms` domain words (the knowledge base's vocabulary puts the terms that
    recur across its pages first) as a hotword prompt of at most `max_chars`."""
    unique = list(dict.fromkeys(w.strip() for w in words if w.strip()))[:max_terms]
    out: list[str] = []
    length = 0
    for word in unique:
        length += len(word) + 2
        if length > max_chars:
            break
        out.append(word)
    return ", ".join(out) or None


def clean_transcript_text(text: str) -> str:
    """Whisper's non-speech tags out ("[BLANK_AUDIO]", "(music)", "*sigh*", "♪")."""
    text = _NON_SPEECH.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def is_known_hallucination(text: str) -> bool:
    """A phrase Whisper invents from silence ("Thanks for watching!", a lone "you")."""
    plain = re.sub(r"[^a-z. ]", "", text.lower()).strip(" .")
    return plain in _ONLY_FILLER or any(phrase in plain for phrase in KNOWN_HALLUCINATIONS)


class WhisperSpeechToText:
    """`SpeechToText` with faster-whisper. `vocabulary`: domain words given to the recogniser."""

    name = "faster-whisper"

    def __init__(
        self,
        settings: SttSettings,
        *,
        vocabulary: Iterable[str] = (),
        min_voiced_ms: int = 120,
        confident_logprob: float = -0.5,
        min_avg_logprob: float = -1.2,
        max_compression_ratio: float = 2.4,
    ) -> None:
        self._settings = settings
        self._hotwords = hotwords_from_vocabulary(vocabulary)
        self._gate = SpeechGate(min_voiced_ms)
        self._confident_logprob = confident_logprob
        self._min_avg_logprob = min_avg_logprob
        self._max_compression_ratio = max_compression_ratio
        self._loaded: _Loaded | None = None

    def set_vocabulary(self, words: Iterable[str]) -> None:
        """Replace the domain words (e.g. when the knowledge base changes)."""
        self._hotwords = hotwords_from_vocabulary(words)

    def load_blocking(self) -> None:
        """Load the model in the calling thread."""
        if self._loaded is None:
            self._loaded = _load(self._settings)

    async def load(self) -> None:
        """Load the model now (otherwise the first utterance pays for it)."""
        if self._loaded is None:
            await asyncio.to_thread(self.load_blocking)

    async def transcribe(self, pcm16k: bytes, *, hotwords: str | None = None) -> Transcript:
        if (silent := self._gate.silent(pcm16k)) is not None:
            return silent
        await self.load()
        return await asyncio.to_thread(self.recognise, pcm16k, hotwords or self._hotwords)

    def recognise(self, pcm16k: bytes, hotwords: str | None = None) -> Transcript:
        """Decode in the calling thread, without the speech gate (what a pool worker runs)."""
        self.load_blocking()
        assert self._loaded is not None
        loaded = self._loaded
        s = self._settings
        with loaded.lock:
            segments, _info = loaded.model.transcribe(
                pcm16_to_float(pcm16k),
                language=s.language or None,
                beam_size=s.beam_size,
                temperature=0.0,
                condition_on_previous_text=False,
                no_speech_threshold=s.no_speech_threshold,
                log_prob_threshold=self._min_avg_logprob,
                compression_ratio_threshold=self._max_compression_ratio,
                without_timestamps=True,
                hotwords=hotwords,
                vad_filter=False,
            )
            all_segments = list(segments)
        kept = [seg for seg in all_segments if self._keep(seg)]
        text = " ".join(clean_transcript_text(seg.text) for seg in kept).strip()
        if is_known_hallucination(text):
            text, kept = "", []
        judged = kept or all_segments
        return Transcript(
            text=text,
            no_speech_prob=max((seg.no_speech_prob for seg in judged), default=1.0),
            avg_logprob=sum(seg.avg_logprob for seg in judged) / len(judged) if judged else 0.0,
            audio_s=duration_s(pcm16k),
        )

    def _keep(self, seg: Segment) -> bool:
        silent = seg.no_speech_prob > self._settings.no_speech_threshold
        if silent and seg.avg_logprob < self._confident_logprob:
            return False
        if seg.avg_logprob < self._min_avg_logprob or seg.compression_ratio > self._max_compression_ratio:
            return False
        return bool(clean_transcript_text(seg.text)) and not is_known_hallucination(seg.text)
