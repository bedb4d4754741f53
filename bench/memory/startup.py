"""The agent's start-up steps (`AnsweringAgent._prepare_voice`, without SIP), each step's memory, in
a child process with its own data folders, as `earpiece agent` runs them."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.memory.imports import ROOT
from bench.memory.smaps import line_totals, memory, role, tree


def _steps() -> None:  # runs in the child
    steps: list[dict[str, Any]] = []

    def step(name: str) -> None:
        me = os.getpid()
        workers = {pid: m for pid, m in tree(me).items() if pid != me}
        steps.append({
            "step": name, "agent": memory().as_dict(),
            "others": {f"{role(pid)} {pid}": m.as_dict() for pid, m in workers.items()},
            "line": line_totals(tree(me)),
        })
        print(f"  {name}: agent {steps[-1]['agent']}, line {steps[-1]['line']}", file=sys.stderr, flush=True)

    step("interpreter")
    from earpiece.headless.agent import AnsweringAgent  # noqa: F401  (its imports are the step)

    step("import earpiece.headless.agent")
    from earpiece.core.engine.factory import build_voice_stack, freeze_heap, warm_up
    from earpiece.core.knowledge import KnowledgeRetriever, open_reader
    from earpiece.core.settings import load_settings

    settings = load_settings()
    kb = settings.knowledge.default_kb
    reader = open_reader(kb, settings=settings.knowledge)
    step("knowledge base open")
    retriever = KnowledgeRetriever(reader, kb)
    stack = build_voice_stack(settings, retriever=retriever)
    step("voice stack built")
    asyncio.run(warm_up(stack))
    step("warmed up (models loaded and run once, phrases cached)")
    freeze_heap()
    step("heap frozen")
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    step("after malloc_trim(0)")
    steps[-1]["models"] = loaded_models()
    print(json.dumps(steps))
    reader.close()


def loaded_models() -> dict[str, int]:
    """How many of each model object the process holds (a model loaded twice shows as 2)."""
    import onnxruntime

    from earpiece.core.knowledge.embedding import MiniLmEmbedder

    counts: dict[str, int] = {}
    gc.unfreeze()  # frozen objects are not listed
    for obj in gc.get_objects():
        if isinstance(obj, onnxruntime.InferenceSession):
            name = f"onnxruntime session {Path(obj._model_path).name if obj._model_path else '(from bytes)'}"
        elif isinstance(obj, MiniLmEmbedder):
            name = "MiniLmEmbedder"
        else:
            continue
        counts[name] = counts.get(name, 0) + 1
    return counts


def startup_steps(env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="earpiece-bench-memory-") as home:
        child_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
        for name in ("CONFIG", "DATA", "LOG", "CACHE"):
            child_env[f"EARPIECE_{name}_DIR"] = str(Path(home) / name.lower())
        done = subprocess.run(
            [sys.executable, "-c", "from bench.memory.startup import _steps; _steps()"], cwd=ROOT,
            env=child_env, stdout=subprocess.PIPE, text=True, timeout=600, check=True,
        )
    result: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
