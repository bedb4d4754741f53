"""The memory each heavy module costs to import, each in a fresh interpreter (so shared
dependencies are counted with every module that needs them: the figures do not add up)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MODULES = (
    "numpy",
    "webrtcvad",
    "onnxruntime",
    "ctranslate2",
    "faster_whisper",
    "moonshine_voice",
    "piper",
    "chromadb",
    "onnx",
    "av",
    "earpiece.sip.engine",  # pjsua2 (the `pjsua2` package itself loads its library lazily)
    "earpiece.core.knowledge.embedding",  # the embedder's module (MiniLM over ONNX Runtime)
    "earpiece.core.stt.pool",  # what a recognition worker imports
    "earpiece.headless.agent",  # what `earpiece agent` imports
)
_CHILD = """
import json, sys
from bench.memory.smaps import memory
before = memory()
import {module}
after = memory()
print(json.dumps({{"before": before.as_dict(), "after": after.as_dict()}}))
"""


def import_cost(module: str) -> dict[str, Any]:
    """RSS/PSS/USS/anonymous growth (MB) of importing `module` into a bare interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(module=module)], cwd=ROOT, capture_output=True, text=True,
        timeout=300, check=False,
    )
    if done.returncode != 0:
        return {"module": module, "error": done.stderr.strip().splitlines()[-1:]}
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    before, after = figures["before"], figures["after"]
    return {"module": module, **{key: round(after[key] - before[key], 1) for key in after}}


def import_costs(modules: tuple[str, ...] = MODULES) -> list[dict[str, Any]]:
    rows = []
    for module in modules:
        row = import_cost(module)
        print(f"  import {module}: {row}", flush=True)
        rows.append(row)
    return rows
