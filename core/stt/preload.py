"""What the recognition workers' fork server holds before it forks them (see `pool.py`): the
workers' modules and, when `EARPIECE_STT_PRELOAD` names a Moonshine model, that model, loaded on
one thread and run once. Workers forked from the server find it loaded (`load_moonshine_model`'s
cache) and share its pages.

Imported by the fork server only: multiprocessing preloads by importing, hence the load on import.
One thread is required, not only chosen: ONNX Runtime's threads of a session would not exist in
the forked workers. Nothing here may raise (the server would die with it): a model that fails to
load is left to each worker, which reports the failure as before.
"""

from __future__ import annotations

import logging
import os

from earpiece.core.calls.memory import trim_native_memory
from earpiece.core.stt.moonshine import MOONSHINE_MODELS, MoonshineSpeechToText
from earpiece.core.stt.pool import PRELOAD_ENV

log = logging.getLogger(__name__)


def preload(name: str) -> str | None:
    """Load `name` and run it once (the warm-up a worker would run) if it is a Moonshine model;
    its name if it was."""
    if name not in MOONSHINE_MODELS:
        return None
    try:
        MoonshineSpeechToText(name, threads=1).recognise(bytes(32_000))  # the loaded model is cached
    except Exception:
        log.warning("recognition model %r not preloaded: each worker loads its own", name, exc_info=True)
        return None
    trim_native_memory()  # what loading freed again would otherwise stay with the server alone
    return name


preloaded = preload(os.environ.get(PRELOAD_ENV, ""))
