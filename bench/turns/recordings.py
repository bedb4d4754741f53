"""Recorded human speech that is already installed: the readings moonshine-voice ships as assets.

- `two_cities`: one reader, the opening of *A Tale of Two Cities* (44 s, 48 kHz);
- `beckett`: one reader, "Ever tried. Ever failed. ..." (10 s);
- `clone-test`: one speaker, one sentence (4 s);
- `endgame_nagg_nell`: two speakers, a scene of Beckett's *Endgame* (28 s, 24 kHz; the package does
  not say how it was recorded).

Word timings come from Whisper base (`python -m bench.turns.recordings` writes `words.json`
beside this file, committed so the labels can be read and stay fixed); sentence ends are where
Whisper put a full stop, a question or exclamation mark.
"""

from __future__ import annotations

import hashlib
import json
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from moonshine_voice.utils import get_assets_path

from earpiece.core.audio.pcm import to_mono_16k

RECORDINGS = ("two_cities", "beckett", "clone-test", "endgame_nagg_nell")
WORDS_FILE = Path(__file__).with_name("words.json")


@dataclass(frozen=True, slots=True)
class Word:
    start_s: float
    end_s: float
    text: str

    @property
    def ends_sentence(self) -> bool:
        return self.text.rstrip()[-1:] in (".", "?", "!")

    @property
    def ends_clause(self) -> bool:
        return self.text.rstrip()[-1:] in (",", ";", ":")


def recording_path(name: str) -> Path:
    return get_assets_path() / f"{name}.wav"


def load_recording(name: str) -> np.ndarray:
    """The recording as float32 samples at 16 kHz mono."""
    with wave.open(str(recording_path(name))) as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return to_mono_16k(samples, rate)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def words(name: str) -> list[Word]:
    """The recording's words with their times, from the committed `words.json`."""
    entry = json.loads(WORDS_FILE.read_text(encoding="utf-8"))[name]
    if entry["sha256"] != _sha256(recording_path(name)):
        raise RuntimeError(f"{recording_path(name)} is not the recording words.json was made from")
    return [Word(*w) for w in entry["words"]]


def sentences(name: str) -> list[list[Word]]:
    out: list[list[Word]] = [[]]
    for word in words(name):
        out[-1].append(word)
        if word.ends_sentence:
            out.append([])
    return [s for s in out if s]


def timed_words(samples: np.ndarray) -> list[Word]:
    """Whisper base's words with their times (s) for 16 kHz float samples."""
    from bench.stt.recognisers import whisper_base_folder
    from earpiece.core.settings import SttSettings
    from earpiece.core.stt.whisper import load_whisper_model

    model = load_whisper_model(SttSettings(model=str(whisper_base_folder()), workers=0))
    segments, _ = model.transcribe(samples, language="en", beam_size=5, word_timestamps=True)
    return [Word(round(w.start, 2), round(w.end, 2), w.word.strip()) for s in segments for w in s.words or []]


def main() -> None:
    result = {}
    for name in RECORDINGS:
        timed = [[w.start_s, w.end_s, w.text] for w in timed_words(load_recording(name))]
        result[name] = {"sha256": _sha256(recording_path(name)), "words": timed}
        print(name, " ".join(str(w[2]) for w in timed))
    WORDS_FILE.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
