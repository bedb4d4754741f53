"""`earpiece doctor`: is this machine ready? Versions, models, audio devices, keyring, pjsua2."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import sys
from dataclasses import dataclass, field
from typing import Any

from earpiece.core import models, secrets
from earpiece.core.settings import Settings, load_settings, settings_path
from earpiece.core.stt import recogniser_model

PACKAGES = (
    "PySide6-Essentials", "qasync", "pjsua2-python", "sounddevice", "numpy", "webrtcvad-wheels",
    "faster-whisper", "ctranslate2", "hibari-tts", "piper-tts", "onnxruntime", "chromadb", "groq", "openai",
    "edge-tts", "keyring", "pydantic-settings",
)


@dataclass
class Check:
    name: str
    ok: bool
    required: bool
    detail: Any
    problem: str = ""


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, required: bool, probe: Any) -> None:
        try:
            self.checks.append(Check(name, True, required, probe()))
        except Exception as exc:  # each probe reports its own failure; the doctor carries on
            self.checks.append(Check(name, False, required, None, f"{type(exc).__name__}: {exc}"))

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.required)


def _packages() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    missing = [n for n, v in versions.items() if v == "missing"]
    if missing:
        raise RuntimeError(f"missing packages: {', '.join(missing)}; run `make setup` or pip install them")
    return versions


def _model(location: models.ModelLocation) -> dict[str, Any]:
    return {"origin": location.origin, "files": [str(f) for f in location.files]}


def _audio_devices() -> list[dict[str, Any]]:
    import sounddevice as sd

    return [
        {"name": d["name"], "inputs": d["max_input_channels"], "outputs": d["max_output_channels"]}
        for d in sd.query_devices()
    ]


def _keyring() -> dict[str, Any]:
    usable = secrets.keyring_usable()
    detail = {"backend": secrets.backend_description(), "usable": usable}
    if not usable:
        detail["hint"] = (
            "Secrets cannot be stored: unlock a Secret Service keyring, or pass them as "
            "EARPIECE_SECRET_SIP_<ACCOUNT> / EARPIECE_SECRET_GROQ environment variables."
        )
    return detail


def _pjsua2() -> dict[str, Any]:
    from earpiece.sip.diagnostics import pjsua2_report

    return pjsua2_report()


def diagnose(settings: Settings) -> Report:
    report = Report()
    report.add("python", True, lambda: {"version": platform.python_version(), "executable": sys.executable})
    report.add("packages", True, _packages)
    report.add("settings", True, lambda: {"file": str(settings_path())})
    report.add("model.stt", True, lambda: _model(recogniser_model(settings.stt)))
    report.add("model.tts", True, lambda: _model(models.piper_voice(settings.tts)))
    report.add("model.embedding", True, lambda: _model(models.embedding_model(settings.knowledge)))
    # No sound card, or no usable keyring, still lets Earpiece run (null audio, secrets from env).
    report.add("audio_devices", False, _audio_devices)
    report.add("keyring", False, _keyring)
    report.add("pjsua2", True, _pjsua2)
    return report


def _print_text(report: Report) -> None:
    for check in report.checks:
        mark = "ok " if check.ok else ("ERR" if check.required else "warn")
        print(f"[{mark}] {check.name}")
        if check.ok:
            print("      " + json.dumps(check.detail, default=str)[:600])
        else:
            print(f"      {check.problem}")
    print("ready" if report.ok else "NOT READY: fix the [ERR] lines above")


def run(args: argparse.Namespace) -> int:
    report = diagnose(load_settings())
    if args.json:
        payload = {
            "ok": report.ok,
            "checks": {
                c.name: {"ok": c.ok, "required": c.required, "detail": c.detail, "problem": c.problem}
                for c in report.checks
            },
        }
        print(json.dumps(payload, indent=2, default=str))
    else:
        _print_text(report)
    return 0 if report.ok else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor")
    parser.add_argument("--json", action="store_true", help="machine-readable report")
    parser.set_defaults(func=run)
