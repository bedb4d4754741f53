"""The real app (`earpiece` with no arguments) on a real X server: the demo call runs end to end
on first start, and a screenshot is saved to test-artifacts/ for a person to look at."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.peers.process import PeerProcess, wait_for
from tests.xvfb import virtual_display

pytestmark = [pytest.mark.gui, pytest.mark.peers, pytest.mark.models]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOT = ARTIFACTS / "desktop-demo-call.png"


@pytest.fixture
def xserver() -> Iterator[str]:
    with virtual_display() as display:
        yield display


def test_first_start_runs_the_demo_call_and_fills_the_window(
        xserver: str, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "DISPLAY": xserver,
        "QT_QPA_PLATFORM": "xcb",
        "EARPIECE_SIP__BIND_ADDRESS": "127.0.0.1",  # defaults otherwise, but on free loopback ports
        "EARPIECE_SIP__UDP_PORT": "0",
        "EARPIECE_SIP__ENABLE_TCP": "false",
    }.items():
        monkeypatch.setenv(name, value)  # the app and the screen grab inherit them
    monkeypatch.delenv("EARPIECE_DEMO", raising=False)  # the first start itself must offer the demo
    app = PeerProcess([sys.executable, "-m", "earpiece"], tmp_path / "app.log")
    history = isolated_home / "data" / "call_history.jsonl"
    calls = isolated_home / "data" / "calls"
    try:
        # one caller process, a greeting and three answers, then the caller hangs up
        ended = wait_for(lambda: history.exists() and bool(history.read_text().strip()), 180, 0.5)
        assert ended, app.log_text()[-3000:]
        assert wait_for(lambda: any(calls.glob("*.json")), 10, 0.2), app.log_text()[-3000:]
        ARTIFACTS.mkdir(exist_ok=True)
        grab = subprocess.run([sys.executable, "-m", "tests.desktop.screen_grab", str(SCREENSHOT)],
                              timeout=30, capture_output=True, text=True, check=False,
                              cwd=Path(__file__).resolve().parents[2])
        assert grab.returncode == 0, grab.stderr
        app.proc.send_signal(signal.SIGTERM)
        assert app.proc.wait(30) == 0, app.log_text()[-3000:]
    finally:
        app.stop()

    record = json.loads(next(calls.glob("*.json")).read_text())
    turns = [t for t in record["turns"] if t.get("voice_to_voice_ms")]
    assert len(turns) >= 2, record
    said = " ".join(t["answer"] for t in turns)
    assert "4.95" in said and "30 days" in said, [(t["question"], t["answer"]) for t in turns]
    entry = json.loads(history.read_text().splitlines()[0])
    assert entry["direction"] == "inbound" and entry["remote_uri"].startswith("sip:demo-caller@")
    settings = json.loads((isolated_home / "config" / "settings.json").read_text())
    assert settings["ui"]["window_geometry"], "the window geometry is remembered"
    image = Image.open(SCREENSHOT).convert("RGB")
    assert image.size == (1400, 900) and len(set(image.resize((140, 90)).get_flattened_data())) > 50
