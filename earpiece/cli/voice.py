"""`earpiece transcribe FILE.wav [--json]` and `earpiece say "TEXT" -o OUT.wav`: the voice stages
on their own, with the models and providers of the settings."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from earpiece.core.audio.pcm import duration_s
from earpiece.core.audio.wav import WavFormatError, read_wav_16k, write_wav
from earpiece.core.models import ModelNotFoundError
from earpiece.core.settings import load_settings

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    transcribe = subparsers.add_parser("transcribe", description=run_transcribe.__doc__)
    transcribe.add_argument("file", type=Path, help="a PCM16 WAV file (any rate, mono or stereo)")
    transcribe.add_argument("--json", action="store_true", help="print JSON with scores and timing")
    transcribe.add_argument("--hotwords", help="domain words to bias the recogniser, comma-separated")
    transcribe.set_defaults(func=run_transcribe)

    say = subparsers.add_parser("say", description=run_say.__doc__)
    say.add_argument("text", help="what to say (markdown, numbers and e-mail addresses are fine)")
    say.add_argument("-o", "--output", type=Path, required=True, help="the WAV file to write (16 kHz mono)")
    say.add_argument(
        "--provider", action="append", choices=("edge", "piper"),
        help="provider to use (repeat for a fallback chain; default: tts.providers)",
    )
    say.add_argument("--edge-endpoint", help="a server speaking the edge-tts protocol instead of Microsoft's")
    say.set_defaults(func=run_say)


def run_transcribe(args: argparse.Namespace) -> int:
    """Transcribe a WAV file with the speech-to-text model of the settings."""
    from earpiece.core.stt import in_process_recogniser

    try:
        pcm = read_wav_16k(args.file)
    except FileNotFoundError:
        return _fail(f"no such file: {args.file}", EXIT_BAD_INPUT)
    except WavFormatError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    settings = load_settings()
    stt = in_process_recogniser(settings.stt)
    try:
        asyncio.run(stt.load())
    except ModelNotFoundError as exc:
        return _fail(str(exc), EXIT_FAILED)
    started = time.perf_counter()
    transcript = asyncio.run(stt.transcribe(pcm, hotwords=args.hotwords))
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps({
            "text": transcript.text,
            "no_speech_prob": round(transcript.no_speech_prob, 4),
            "avg_logprob": round(transcript.avg_logprob, 4),
            "audio_s": round(transcript.audio_s, 3),
            "stt_s": round(elapsed, 3),
            "model": settings.stt.model,
        }))
    else:
        print(transcript.text)
    return 0


def run_say(args: argparse.Namespace) -> int:
    """Speak TEXT into a 16 kHz mono WAV file with the text-to-speech providers of the settings."""
    from earpiece.core.tts import TextToSpeechError, TtsFailure, build_text_to_speech, speak_text

    if not args.text.strip():
        return _fail("nothing to say: the text is empty", EXIT_BAD_INPUT)
    if not args.output.parent.is_dir():
        return _fail(f"the folder {args.output.parent} does not exist", EXIT_BAD_INPUT)
    settings = load_settings().tts
    if args.provider:
        settings = settings.model_copy(update={"providers": args.provider})
    failures: list[TtsFailure] = []
    tts = build_text_to_speech(settings, edge_endpoint=args.edge_endpoint, on_failure=failures.append)
    voiced_by: list[str] = []

    async def collect() -> bytes:
        spoken = speak_text(tts, args.text, on_voiced=lambda s: voiced_by.append(s.provider or tts.name))
        return b"".join([chunk async for chunk in spoken])

    try:
        pcm = asyncio.run(collect())
    except (TextToSpeechError, ModelNotFoundError) as exc:
        return _fail(str(exc), EXIT_FAILED)
    if not pcm:
        return _fail("nothing to say: the text has no speakable words", EXIT_BAD_INPUT)
    write_wav(args.output, pcm)
    for failure in failures:
        print(f"{failure.provider} failed: {failure.reason}", file=sys.stderr)
    voices = ", ".join(dict.fromkeys(voiced_by))
    print(f"{args.output}: {duration_s(pcm):.2f} s, voiced by {voices}", file=sys.stderr)
    return 0


def _fail(message: str, code: int) -> int:
    print(f"earpiece: {message}", file=sys.stderr)
    return code
