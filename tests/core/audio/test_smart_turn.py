"""Smart Turn v3 on CPU: real inference on generated speech, the features, the model files."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from earpiece.core.audio import install_models
from earpiece.core.audio.model_files import SMART_TURN, WHEEL_FILES, WheelFile, smart_turn_file
from earpiece.core.audio.smart_turn import (
    N_FRAMES,
    N_MELS,
    WINDOW_SAMPLES,
    SmartTurnModel,
    last_window,
    load_smart_turn,
    log_mel_features,
    mel_filterbank,
)
from earpiece.core.audio.turn_settings import TurnSettings
from earpiece.core.models import ModelNotFoundError
from tests.audio_gen import concat, piper_speech, silence, tone


@pytest.fixture(scope="module")
def model() -> SmartTurnModel:
    return load_smart_turn(TurnSettings())


@pytest.mark.models
def test_finished_question_is_complete_and_trailing_off_is_not(model: SmartTurnModel) -> None:
    finished = model.judge(concat(piper_speech("Where is my parcel?"), silence(200)))
    trailing = model.judge(concat(piper_speech("I was wondering if"), silence(200)))
    assert finished.complete and finished.probability > 0.8, finished
    assert not trailing.complete and trailing.probability < 0.3, trailing
    assert 0 < finished.compute_ms < 5000


@pytest.mark.models
def test_filler_at_the_end_is_incomplete(model: SmartTurnModel) -> None:
    verdict = model.judge(concat(piper_speech("My order number is, uh,"), silence(200)))
    assert not verdict.complete, verdict


def test_only_the_last_eight_seconds_count(model: SmartTurnModel) -> None:
    rng = np.random.default_rng(3)
    tail = rng.normal(0, 0.1, 16_000).astype(np.float32)
    long = np.concatenate([np.ones(20 * 16_000, dtype=np.float32), tail])
    assert np.array_equal(last_window(long)[-16_000:], tail)
    assert model.probability(long) == pytest.approx(
        model.probability(np.concatenate([long[-WINDOW_SAMPLES:]])), abs=1e-6
    )


def test_features_have_the_model_shape_and_scale() -> None:
    speech_like = np.frombuffer(concat(silence(500), tone(1000, 300), silence(500)), dtype="<i2") / 32768
    features = log_mel_features(last_window(speech_like))
    assert features.shape == (N_MELS, N_FRAMES) and features.dtype == np.float32
    assert features.max() - features.min() == pytest.approx(2.0, abs=1e-5)  # 8 decades / 4
    peak_band = int(np.argmax(features[:, -100]))  # 7 s into the window: inside the tone
    bank = mel_filterbank()
    peak_hz = 8000 * int(np.argmax(bank[peak_band])) / (bank.shape[1] - 1)
    assert abs(peak_hz - 300) < 60, peak_hz
    with pytest.raises(ValueError, match="128000 samples"):
        log_mel_features(np.zeros(1000, dtype=np.float32))


def test_filterbank_triangles_have_unit_area_in_hz() -> None:
    bank = mel_filterbank()
    assert bank.shape == (N_MELS, 201) and (bank >= 0).all()
    hz_per_bin = 8000 / 200
    # Slaney normalisation: each triangle's area (peak 2/(width) times width/2) is 1
    areas = bank.sum(axis=1) * hz_per_bin
    assert np.allclose(areas, 1.0, atol=0.1)


def test_missing_or_wrong_model_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"turns\.model_path"):
        smart_turn_file(str(tmp_path / "nope.onnx"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a loadable ONNX model"):
        SmartTurnModel(junk)
    settings = TurnSettings(model_path=str(smart_turn_file()))
    assert load_smart_turn(settings).path == smart_turn_file()


def test_turn_settings_keep_the_silences_in_order() -> None:
    with pytest.raises(ValueError, match="model_silence_ms"):
        TurnSettings(model_silence_ms=800, max_silence_ms=600)


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_install_step_checks_hashes_and_installs_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = {item.member: f"content of {item.name}".encode() for item in WHEEL_FILES}
    pinned = tuple(
        WheelFile(i.member, i.name, hashlib.sha256(payload[i.member]).hexdigest()) for i in WHEEL_FILES
    )
    monkeypatch.setattr(install_models, "WHEEL_FILES", pinned)
    wheel = _wheel(tmp_path / "pipecat_ai-1.14.0-py3-none-any.whl", payload)
    target = tmp_path / "models"
    written = install_models.install(target, wheel)
    assert sorted(p.name for p in written) == sorted(i.name for i in pinned)
    assert (target / SMART_TURN.name).read_bytes() == payload[SMART_TURN.member]
    assert install_models.install(target, wheel) == []  # already there

    tampered = dict(payload) | {SMART_TURN.member: b"something else"}
    with pytest.raises(install_models.InstallError, match="SHA-256"):
        install_models.extract(_wheel(tmp_path / "tampered.whl", tampered), tmp_path / "other")
    with pytest.raises(install_models.InstallError, match=f"has no {re.escape(SMART_TURN.member)}"):
        install_models.extract(_wheel(tmp_path / "empty.whl", {"x": b""}), tmp_path / "other")
    not_zip = tmp_path / "bad.whl"
    not_zip.write_bytes(b"junk")
    with pytest.raises(install_models.InstallError, match="not a readable wheel"):
        install_models.extract(not_zip, tmp_path / "other")
