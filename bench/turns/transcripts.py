"""The product's recogniser on the utterance at each pause, as the listener makes it speculatively.

`PauseTranscripts.text` runs `speech_to_text(stt settings)` in this process (`stt.workers = 0`: the
same recogniser and gate, without the worker pool) on a pause's utterance and caches the text and
the compute time on disk by the audio's hash, so a second run of the benchmark reads them back.

    .venv/bin/python -m bench.turns.transcripts [--out FILE.jsonl]

transcribes every pause of every case (wideband and narrowband) and writes one line per pause:
case, split, kind, condition, the transcript, and whether ending the turn at that pause would cut
the speaker off (`early`): the material the transcript rule is tuned on (dev lines only).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from bench.stt.speech import CONDITIONS
from bench.turns.cases import Case, human_cases, synthetic_cases
from earpiece.core.audio.pcm import split_frames
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.audio.turns import SpeechEnded, SpeechPaused, TurnDetector
from earpiece.core.audio.vad import VoiceActivity
from earpiece.core.paths import cache_dir
from earpiece.core.settings import SttSettings, VadSettings
from earpiece.core.stt import speech_to_text


@dataclass(frozen=True, slots=True)
class Heard:
    text: str
    compute_ms: float


class PauseTranscripts:
    """Transcripts of pause utterances by the product's recogniser, cached on disk."""

    def __init__(self, settings: SttSettings | None = None) -> None:
        stt = (settings or SttSettings()).model_copy(update={"workers": 0})
        self._stt = speech_to_text(stt)
        self._folder = cache_dir() / "bench-turns-stt" / hashlib.sha1(stt.model.encode()).hexdigest()[:12]
        self._folder.mkdir(parents=True, exist_ok=True)
        self._loop = asyncio.new_event_loop()
        self.recognised = 0  # recognitions run in this process (the rest were read back)
        self._times: dict[str, float] = {}  # each pause utterance's recognition time, when it was made

    @property
    def compute_ms(self) -> list[float]:
        return list(self._times.values())

    def heard(self, pcm: bytes) -> Heard:
        key = hashlib.sha256(pcm).hexdigest()[:32]
        path = self._folder / f"{key}.json"
        if path.exists():
            heard = Heard(**json.loads(path.read_text(encoding="utf-8")))
        else:
            start = time.perf_counter()
            transcript = self._loop.run_until_complete(self._stt.transcribe(pcm))
            heard = Heard(transcript.text.strip(), round((time.perf_counter() - start) * 1000, 1))
            self.recognised += 1
            stored = {"text": heard.text, "compute_ms": heard.compute_ms}
            path.write_text(json.dumps(stored), encoding="utf-8")
        self._times[key] = heard.compute_ms
        return heard


def all_cases(conditions: list[str]) -> dict[str, list[Case]]:
    synthetic, _ = synthetic_cases()
    base = human_cases() + synthetic
    return {c: base if c == "wideband" else [x.narrowband(n) for n, x in enumerate(base)] for c in conditions}


def pause_lines(case: Case, condition: str, heard: PauseTranscripts, hold_ms: int) -> list[dict[str, object]]:
    """Each pause of the case up to `hold_ms` of silence, transcribed."""
    turns = TurnSettings(endpointing=Endpointing.TIMER)
    detector = TurnDetector(VadSettings(end_of_turn_ms=hold_ms), turns=turns, vad=VoiceActivity(2))
    lines: list[dict[str, object]] = []
    for frame in split_frames(case.pcm, 0.0):
        event = detector.push(frame)
        if isinstance(event, SpeechPaused):
            text = heard.heard(event.utterance.pcm).text
            end = event.utterance.end_of_speech_at
            lines.append({
                "case": case.id, "split": case.split, "kind": case.kind, "source": case.source,
                "condition": condition, "label": case.text, "text": text,
                "end_s": round(end, 2), "spoken_end_s": case.spoken_end_s,
                "early": end + 0.3 < case.spoken_end_s - 0.05, "voiced_ms": event.utterance.voiced_ms,
            })
        elif isinstance(event, SpeechEnded):
            continue
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    parser.add_argument("--hold-ms", type=int, nargs="+", default=[740, 1500])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    heard = PauseTranscripts()
    lines: list[dict[str, object]] = []
    for condition, cases in all_cases(args.conditions).items():
        for case in cases:
            for hold in args.hold_ms:
                lines += pause_lines(case, condition, heard, hold)
        print(f"{condition}: {len(lines)} pauses, {heard.recognised} recognised", flush=True)
    unique = {(str(x["case"]), str(x["condition"]), x["end_s"], x["text"]): x for x in lines}
    if args.out is not None:
        args.out.write_text("".join(json.dumps(x) + "\n" for x in unique.values()), encoding="utf-8")


if __name__ == "__main__":
    main()
