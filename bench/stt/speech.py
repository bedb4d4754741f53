"""The spoken question sets: each question in one of several voices, wideband and narrowband.

Questions: the labelled caller questions of tests/data/answers (several organisations, with their
dev/test split) and the Larkspur questions of bench/voice (the sample knowledge base; alternate
ones go to dev and test). Voices take turns: three eSpeak NG voices and, as one of four, the Piper
voice the product speaks with. Narrowband is what a PSTN caller sounds like: 300-3400 Hz, 8 kHz,
G.711 mu-law, white noise 25 dB below the speech, back to 16 kHz for the recognisers (sox).
Audio is made once and cached under the cache folder.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

from bench.voice.run import QUESTIONS as LARKSPUR_QUESTIONS
from earpiece.core.paths import cache_dir
from tests.answers_dataset import load_questions
from tests.audio_gen import concat, espeak_speech, piper_speech, silence

VOICES = ("espeak:en-us", "espeak:en-gb-x-rp", "espeak:en-us+f3", "piper:joe")
CONDITIONS = ("wideband", "narrowband")
NOISE_SNR_DB = 25.0
LARKSPUR_ORG = "larkspur"


@dataclass(frozen=True)
class SpokenQuestion:
    id: str
    org: str  # whose knowledge base the question is about (its hotwords)
    split: str
    text: str
    voice: str


@dataclass(frozen=True)
class Sample:
    question: SpokenQuestion
    condition: str
    pcm: bytes  # 16 kHz mono PCM16, 300 ms of silence either side

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 32_000


def questions(split: str) -> list[SpokenQuestion]:
    labelled = [(q.id, q.org, q.split, q.question) for q in load_questions() if q.kind != "hostile"]
    larkspur = [
        (f"larkspur-{i:02d}", LARKSPUR_ORG, "dev" if i % 2 == 0 else "test", text)
        for i, (text, _fact) in enumerate(LARKSPUR_QUESTIONS)
    ]
    rows = [row for row in labelled + larkspur if split in ("all", row[2])]
    return [SpokenQuestion(*row, voice=VOICES[i % len(VOICES)]) for i, row in enumerate(rows)]


def speak(text: str, voice: str) -> bytes:
    engine, name = voice.split(":", 1)
    if engine == "piper":
        return piper_speech(text)
    return espeak_speech(text, voice=name, words_per_minute=165)


def telephone_band(pcm: bytes, seed: int) -> bytes:
    """16 kHz PCM16 -> noise at NOISE_SNR_DB, 300-3400 Hz, 8 kHz mu-law, back to 16 kHz PCM16."""
    sox = shutil.which("sox")
    if sox is None:
        raise RuntimeError("sox is not installed (apt-get install -y sox)")
    speech = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    rms = np.sqrt(np.mean(speech[np.abs(speech) > 100] ** 2)) if np.any(np.abs(speech) > 100) else 1000.0
    noise = np.random.default_rng(seed).normal(0.0, rms / 10 ** (NOISE_SNR_DB / 20), speech.size)
    noisy = np.clip(speech + noise, -32768, 32767).astype("<i2").tobytes()
    raw16 = ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1"]
    ulaw = subprocess.run(
        [
            sox,
            "-R",  # repeatable dither: the same input gives the same audio every run
            *raw16,
            "-",
            "-t",
            "raw",
            "-r",
            "8000",
            "-e",
            "u-law",
            "-b",
            "8",
            "-c",
            "1",
            "-",
            "sinc",
            "300-3400",
        ],
        input=noisy,
        capture_output=True,
        check=True,
    ).stdout
    return subprocess.run(
        [sox, "-R", "-t", "raw", "-r", "8000", "-e", "u-law", "-b", "8", "-c", "1", "-", *raw16, "-"],
        input=ulaw,
        capture_output=True,
        check=True,
    ).stdout


def sample(question: SpokenQuestion, condition: str) -> Sample:
    key = hashlib.sha256(f"{question.voice}|{condition}|{question.text}".encode()).hexdigest()[:16]
    path = cache_dir() / "bench-stt" / f"{key}.pcm"
    if not path.exists():
        pcm = concat(silence(300), speak(question.text, question.voice), silence(300))
        if condition == "narrowband":
            pcm = telephone_band(pcm, seed=int(key[:8], 16))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pcm)
    return Sample(question, condition, path.read_bytes())
