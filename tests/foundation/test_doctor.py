import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "earpiece", "doctor", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, **(env or {})},
    )


def test_doctor_json_reports_every_bundled_model_and_pjsua2() -> None:
    result = run_doctor("--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    for name in ("model.stt", "model.tts", "model.embedding"):
        check = report["checks"][name]
        assert check["ok"], check
        assert all(Path(f).exists() for f in check["detail"]["files"])
    codecs = [c["id"] for c in report["checks"]["pjsua2"]["detail"]["codecs"]]
    assert "G722/16000/1" in codecs and "PCMU/8000/1" in codecs
    assert report["checks"]["keyring"]["detail"]["backend"]


def test_doctor_fails_with_the_reason_when_a_model_is_missing(tmp_path: Path) -> None:
    result = run_doctor("--json", env={"EARPIECE_STT__MODEL": str(tmp_path / "no-such-model")})
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert "stt.model" in report["checks"]["model.stt"]["problem"]
