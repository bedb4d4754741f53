"""The labelled turn-end set: utterances that are complete, and utterances with a pause inside.

Two sources, each split into dev and test:

- **human**: the recorded readings (`recordings.py`). *complete*: a sentence as it was read, with
  the reader's own pauses at commas (a turn ended in one of them is a cut-in too), then silence.
  *paused*: one clause (the words between two punctuation marks) with a 300-700 ms silence put in
  at a word gap inside it, at up to `MAX_GAPS` gaps per clause, cut at the quietest 10 ms near the
  gap Whisper's word timings give. Sentences alternate between dev and test.
- **synthetic** (texts in `synthetic_texts.py`): the bundled Piper voice and two eSpeak NG voices.
  *complete*: whole questions.
  *paused*: a sentence spoken whole and cut where a caller would hesitate ("I'd like to, um, ...
  change my order"), 300-700 ms of silence put in, so each part keeps the sentence's own prosody.
  The cut is at the gap after the hesitation's last word by Whisper's word timings; a sentence whose
  words Whisper does not find is left out (and counted). Texts alternate between dev and test.

Each case starts with 300 ms of silence and ends with `TAIL_MS` of it (or of the line's noise,
once narrowband); `spoken_end_s` is the end of its last word.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field, replace

import numpy as np

from bench.stt.speech import speak, telephone_band
from bench.turns.recordings import RECORDINGS, Word, load_recording, sentences, timed_words
from bench.turns.synthetic_texts import COMPLETE, HESITATIONS
from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.audio.pcm import float_to_pcm16, pcm16_to_float
from earpiece.core.paths import cache_dir
from tests.audio_gen import concat, silence

SYNTHETIC_VOICES = ("piper:joe", "espeak:en-us", "espeak:en-gb-x-rp")
PAUSES_MS = (300, 400, 500, 600, 700)
LEAD_MS = 300
TAIL_MS = 2500
HOP = SAMPLE_RATE // 100  # 10 ms
QUIET_DB = 40.0  # a 10 ms step this far below the loudest is silence at a part's edges
MAX_GAPS = 4  # paused cases per clause (spread over its gaps), so one long clause does not dominate
FILLERS = {"uh", "um", "er", "erm", "ah"}


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # "human:<recording>" or "<engine>:<voice>"
    kind: str  # "complete" or "paused"
    split: str  # "dev" or "test"
    text: str
    pcm: bytes = field(repr=False)  # 16 kHz mono PCM16
    spoken_end_s: float  # end of the last word
    pauses_ms: tuple[int, ...] = ()  # silences put in (paused), or the reader's own (complete, >= 200 ms)

    @property
    def human(self) -> bool:
        return self.source.startswith("human:")

    def narrowband(self, seed: int) -> Case:
        return replace(self, pcm=telephone_band(self.pcm, seed=seed))


def _rms_steps(samples: np.ndarray) -> np.ndarray:
    steps = samples[: samples.size // HOP * HOP].reshape(-1, HOP).astype(np.float64)
    return np.sqrt(np.mean(np.square(steps), axis=1) + 1e-12)


def _quietest(samples: np.ndarray, low_s: float, high_s: float) -> int:
    """Sample index of the quietest 10 ms step between two times."""
    rms = _rms_steps(samples)
    low = min(max(0, int(low_s * 100)), rms.size - 1)
    high = min(rms.size, max(low + 1, int(high_s * 100)))
    return (low + int(np.argmin(rms[low:high]))) * HOP


def _speech_only(samples: np.ndarray) -> bytes:
    """PCM16 without the quiet steps at either end (QUIET_DB below the loudest)."""
    rms = _rms_steps(samples)
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (-QUIET_DB / 20))
    return float_to_pcm16(samples[loud[0] * HOP : (loud[-1] + 1) * HOP])


def _assemble(parts: list[bytes], pauses: list[int]) -> tuple[bytes, float]:
    audio = [silence(LEAD_MS), parts[0]]
    for part, pause in zip(parts[1:], pauses, strict=True):
        audio += [silence(pause), part]
    speech = concat(*audio)
    return concat(speech, silence(TAIL_MS)), round(len(speech) / 2 / SAMPLE_RATE, 3)


def _span(audio: np.ndarray, words: list[Word], first: int, last: int) -> tuple[int, int]:
    """Samples of words[first..last], cut at the quietest points before and after."""
    before = words[first - 1].end_s if first else 0.0
    after = words[last + 1].start_s if last + 1 < len(words) else audio.size / SAMPLE_RATE
    start = _quietest(audio, max(before, words[first].start_s - 0.15), words[first].start_s + 0.03)
    end = _quietest(audio, words[last].end_s - 0.03, min(after, words[last].end_s + 0.25) + 0.01)
    return start, max(end, start + HOP)


def _paused(audio: np.ndarray, start: int, end: int, gap_after: Word, gap_before: Word,
            pause: int) -> tuple[bytes, float]:
    cut = _quietest(audio, gap_after.end_s - 0.05, gap_before.start_s + 0.05)
    cut = min(max(cut, start + HOP), end - HOP)
    return _assemble([_speech_only(audio[start:cut]), _speech_only(audio[cut:end])], [pause])


def _reader_pauses(sentence: list[Word]) -> tuple[int, ...]:
    gaps = (round((b.start_s - a.end_s) * 1000) for a, b in itertools.pairwise(sentence))
    return tuple(g for g in gaps if g >= 200)


def _clauses(sentence: list[Word]) -> list[tuple[int, int]]:
    """(first, last) word indexes of each clause: words up to a punctuation mark."""
    out, first = [], 0
    for i, word in enumerate(sentence):
        if word.ends_clause or word.ends_sentence or i == len(sentence) - 1:
            out.append((first, i))
            first = i + 1
    return out


def human_cases() -> list[Case]:
    cases: list[Case] = []
    number = 0
    for name in RECORDINGS:
        audio = load_recording(name)
        spoken = sentences(name)
        flat = [w for s in spoken for w in s]
        offset = 0
        for index, sentence in enumerate(spoken):
            split = "dev" if number % 2 == 0 else "test"
            number += 1
            source, text = f"human:{name}", " ".join(w.text for w in sentence)
            start, end = _span(audio, flat, offset, offset + len(sentence) - 1)
            pcm, spoken_end = _assemble([_speech_only(audio[start:end])], [])
            cases.append(Case(f"{name}-{index}", source, "complete", split, text, pcm, spoken_end,
                              _reader_pauses(sentence)))
            rng = np.random.default_rng(number)
            for first, last in _clauses(sentence):
                gaps = list(range(first, last))
                chosen = {gaps[round(i)] for i in np.linspace(0, len(gaps) - 1, min(MAX_GAPS, len(gaps)))}
                c_start, c_end = _span(audio, flat, offset + first, offset + last)
                for gap in sorted(chosen):
                    pause = int(rng.choice(PAUSES_MS))
                    pcm, spoken_end = _paused(audio, c_start, c_end, sentence[gap], sentence[gap + 1], pause)
                    words = [w.text for w in sentence[first : last + 1]]
                    label = " ".join(words[: gap - first + 1]) + " ... " + " ".join(words[gap - first + 1 :])
                    cases.append(Case(f"{name}-{index}-gap{gap}", source, "paused", split, label, pcm,
                                      spoken_end, (pause,)))
            offset += len(sentence)
    return cases


def _norm(word: str) -> str:
    return re.sub(r"[^a-z0-9']", "", word.lower())


@functools.cache
def _spoken(text: str, voice: str) -> bytes:
    return _speech_only(pcm16_to_float(speak(text, voice)))


def _word_times(pcm: bytes) -> list[Word]:
    """Whisper's word timings of synthesised audio, cached by the audio's hash."""
    path = cache_dir() / "bench-turns" / f"{hashlib.sha256(pcm).hexdigest()[:32]}.json"
    if path.exists():
        return [Word(*w) for w in json.loads(path.read_text(encoding="utf-8"))]
    words = timed_words(pcm16_to_float(pcm))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([[w.start_s, w.end_s, w.text] for w in words]), encoding="utf-8")
    return words


def _hesitation_gap(words: list[Word], piece: str) -> int | None:
    """Index of the word after which the caller hesitates: the last word of `piece` that is not a
    filler, found in order among Whisper's words (None when Whisper heard the words otherwise)."""
    wanted = [_norm(w) for w in piece.split() if _norm(w) and _norm(w) not in FILLERS]
    heard = [_norm(w.text) for w in words]
    position = -1
    for target in wanted:
        position = next((i for i in range(position + 1, len(heard)) if heard[i] == target), -2)
        if position == -2:
            return None
    while position + 1 < len(heard) - 1 and heard[position + 1] in FILLERS:
        position += 1  # the filler goes before the pause, as the text has it
    return position if 0 <= position < len(words) - 1 else None


def synthetic_cases(voices: tuple[str, ...] = SYNTHETIC_VOICES) -> tuple[list[Case], list[str]]:
    """The synthetic cases, and the sentences left out (Whisper did not find their words)."""
    rng = np.random.default_rng(13)
    cases: list[Case] = []
    left_out: list[str] = []
    for voice in voices:
        for n, text in enumerate(COMPLETE):
            pcm, spoken_end = _assemble([_spoken(text, voice)], [])
            split = "dev" if n % 2 == 0 else "test"
            cases.append(Case(f"{voice}-complete-{n}", voice, "complete", split, text, pcm, spoken_end))
        for n, pieces in enumerate(HESITATIONS):
            pause = int(rng.choice(PAUSES_MS))
            sentence = _spoken(" ".join(pieces), voice)
            words = _word_times(sentence)
            gap = _hesitation_gap(words, pieces[0])
            if gap is None:
                left_out.append(f"{voice}: {' '.join(pieces)} (heard: {' '.join(w.text for w in words)})")
                continue
            audio = pcm16_to_float(sentence)
            pcm, spoken_end = _paused(audio, 0, audio.size, words[gap], words[gap + 1], pause)
            split = "dev" if n % 2 == 0 else "test"
            cases.append(Case(f"{voice}-paused-{n}", voice, "paused", split, " ... ".join(pieces), pcm,
                              spoken_end, (pause,)))
    return cases, left_out
