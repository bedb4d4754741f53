"""Libraries only an optional feature needs are imported when that feature is used, not with the
modules every process loads: PyAV (MP3, for Edge TTS) and ONNX Runtime (Silero VAD). Each check
runs in a fresh interpreter, where nothing else has imported them yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_fresh(code: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter; what it prints last, as JSON."""
    done = subprocess.run([sys.executable, "-c", f"import json, sys\n{code}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_pyav_is_imported_to_decode_mp3_not_with_the_tts_package() -> None:
    seen = run_fresh("""
import earpiece.core.tts
at_import = "av" in sys.modules
import io
import av
import numpy as np
from earpiece.core.tts.mp3 import Mp3StreamDecoder
mp3 = io.BytesIO()
with av.open(mp3, "w", format="mp3") as out:
    stream = out.add_stream("mp3", rate=24000, layout="mono")
    tone = np.sin(np.arange(24000) * 2 * np.pi * 440 / 24000).astype(np.float32) * 0.3
    frame = av.AudioFrame.from_ndarray(tone[None, :], format="fltp", layout="mono")
    frame.sample_rate = 24000
    for packet in [*stream.encode(frame), *stream.encode(None)]:
        out.mux(packet)
decoder = Mp3StreamDecoder()
pcm = decoder.feed(mp3.getvalue()) + decoder.finish()
print(json.dumps({"at import": at_import, "decoded s": len(pcm) / 32000}))
""")
    assert not seen["at import"], "importing earpiece.core.tts imported PyAV"
    assert 0.9 < seen["decoded s"] < 1.2  # the one-second tone, at 16 kHz PCM16


def test_onnx_runtime_is_imported_only_when_silero_vad_is_chosen() -> None:
    seen = run_fresh("""
from earpiece.core.audio.turn_settings import TurnSettings, VadEngine
from earpiece.core.audio.vad import frame_voice_activity
import earpiece.core.audio.turns
webrtc = type(frame_voice_activity(TurnSettings())).__name__
with_webrtc = "onnxruntime" in sys.modules
silero = type(frame_voice_activity(TurnSettings(vad=VadEngine.SILERO))).__name__
print(json.dumps({"webrtc": [webrtc, with_webrtc], "silero": [silero, "onnxruntime" in sys.modules]}))
""")
    assert seen == {"webrtc": ["VoiceActivity", False], "silero": ["SileroVoiceActivity", True]}
