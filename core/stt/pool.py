"""Recognition in a pool of worker processes, so that no call waits behind another call's lock.

Each worker process runs its model on one thread at a lower priority (`nice`) than the process
that carries the calls' 20 ms audio clock: when the machine is oversubscribed the recognisers slow
down, not the audio. The pool is shared by every call of the process (one per settings); a call's
`PooledSpeechToText` gates silence in the calling process and sends speech to whichever worker is
free. A worker that dies is replaced: the utterance it held is tried once more.

Workers are forked by multiprocessing's fork server, a fresh single-threaded process (forking the
agent itself, which runs PJSIP's threads, is unsafe). The server has imported the recogniser and,
for Moonshine, loaded and run the model once (`preload.py`) before it forks: the workers share the
model's memory copy-on-write instead of each loading a copy (bench/results/memory*.md: the server
and two workers ~175-195 MB PSS together, each worker 4-17 MB of its own; two workers that each
loaded the model were ~295 MB). A worker whose model was not preloaded (the server was started for another
model, or Whisper, whose CTranslate2 runs threads that a fork would lose) loads its own.
"""

from __future__ import annotations

import asyncio
import os
import select
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.context import BaseContext

from earpiece.core.interfaces import Transcript
from earpiece.core.models import ModelLocation, whisper_model
from earpiece.core.settings import SttSettings
from earpiece.core.stt.gate import SpeechGate
from earpiece.core.stt.moonshine import MOONSHINE_MODELS, MoonshineSpeechToText, moonshine_model
from earpiece.core.stt.whisper import WhisperSpeechToText, hotwords_from_vocabulary

WARM_UP_TIMEOUT_S = 120.0
PRELOAD_ENV = "EARPIECE_STT_PRELOAD"  # the model the fork server loads (read by `preload.py`)


@dataclass(frozen=True, slots=True)
class WorkerRun:
    """Where and when one utterance was decoded (monotonic clock, shared by the processes)."""

    pid: int
    submitted: float
    started: float
    finished: float

    @property
    def queued_ms(self) -> float:
        """Time the utterance waited for a free worker (and for the hand-over)."""
        return (self.started - self.submitted) * 1000


def recogniser_model(settings: SttSettings) -> ModelLocation:
    """Where the model `stt.model` names is (raises `ModelNotFoundError` saying what to do)."""
    if settings.model in MOONSHINE_MODELS:
        return moonshine_model(settings.model)
    return whisper_model(settings)


def in_process_recogniser(
    settings: SttSettings, *, vocabulary: Iterable[str] = ()
) -> WhisperSpeechToText | MoonshineSpeechToText:
    """The model `stt.model` names, decoding in this process (Moonshine takes no vocabulary)."""
    if settings.model in MOONSHINE_MODELS:
        return MoonshineSpeechToText(settings.model, threads=settings.threads)
    return WhisperSpeechToText(settings, vocabulary=vocabulary)


# ---- inside a worker process ----

_recogniser: WhisperSpeechToText | MoonshineSpeechToText | None = None


def _exit_with(agent: int) -> None:
    """A worker whose agent died (killed, crashed) stops too, instead of holding its model. The
    agent is not the worker's parent (the fork server is), so it is watched by process id."""
    try:
        watch = os.pidfd_open(agent)
    except ProcessLookupError:
        os._exit(0)
    except (AttributeError, OSError):  # no pidfd (not Linux 5.3+): look every second
        while True:
            time.sleep(1.0)
            try:
                os.kill(agent, 0)
            except ProcessLookupError:
                os._exit(0)
    select.select([watch], [], [])
    os._exit(0)


def _start_worker(settings: SttSettings, nice: int, agent: int) -> None:
    global _recogniser
    threading.Thread(target=_exit_with, args=(agent,), name="exit-with-agent", daemon=True).start()
    os.nice(nice)
    _recogniser = in_process_recogniser(settings.model_copy(update={"threads": 1}))
    _recogniser.load_blocking()
    if _preloaded_model() != settings.model:
        _recogniser.recognise(bytes(32_000))  # the first inference is the slow one: not on a call


def _preloaded_model() -> str | None:
    """The model this worker's fork server loaded and warmed up, if any. It is not warmed twice:
    Moonshine's output depends on what it decoded before (after a second silent warm-up, a later
    question came out "zoo, and what" instead of "zoo? And what"), and a worker is to decode as a
    model loaded and warmed in place does."""
    return getattr(sys.modules.get("earpiece.core.stt.preload"), "preloaded", None)


def _worker_context(settings: SttSettings) -> BaseContext:
    """The fork server's context; the process's first Moonshine pool names the model it preloads."""
    if settings.model in MOONSHINE_MODELS:
        os.environ.setdefault(PRELOAD_ENV, settings.model)  # read once, when the server starts
    context = get_context("forkserver")
    context.set_forkserver_preload(["earpiece.core.stt.preload"])
    return context


def _ready() -> int:
    time.sleep(0.05)  # long enough for the other idle workers to take the other warm-up jobs
    return os.getpid()


def _recognise(pcm16k: bytes, hotwords: str | None) -> tuple[Transcript, int, float, float]:
    assert _recogniser is not None
    started = time.monotonic()
    transcript = _recogniser.recognise(pcm16k, hotwords)
    return transcript, os.getpid(), started, time.monotonic()


# ---- in the calling process ----


class RecognitionPool:
    """`workers` processes with the model of `settings`, at `nice`."""

    def __init__(self, settings: SttSettings, workers: int, nice: int) -> None:
        if workers < 1:
            raise ValueError(f"a recognition pool needs at least one worker, got {workers}")
        self.settings = settings
        self.workers = workers
        self.nice = nice
        self._executor = self._new_executor()
        self._lock = threading.Lock()
        self.started = False

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=_worker_context(self.settings),
            initializer=_start_worker,
            initargs=(self.settings, self.nice, os.getpid()),
        )

    async def start(self) -> set[int]:
        """Start every worker and load its model; the workers' process ids. A missing model is
        a `ModelNotFoundError` from here (a worker would only die of it)."""
        recogniser_model(self.settings)
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + WARM_UP_TIMEOUT_S
        pids: set[int] = set()
        while len(pids) < self.workers and time.monotonic() < deadline:
            jobs = [loop.run_in_executor(self._executor, _ready) for _ in range(self.workers)]
            pids.update(await asyncio.gather(*jobs))
        self.started = True
        return pids

    async def recognise(self, pcm16k: bytes, hotwords: str | None) -> tuple[Transcript, WorkerRun]:
        executor = self._executor
        try:
            return await self._submit(executor, pcm16k, hotwords)
        except BrokenProcessPool:  # a worker died (killed, out of memory): once more, on a new pool
            return await self._submit(self._replace(executor), pcm16k, hotwords)

    @staticmethod
    async def _submit(
        executor: ProcessPoolExecutor, pcm16k: bytes, hotwords: str | None
    ) -> tuple[Transcript, WorkerRun]:
        submitted = time.monotonic()
        transcript, pid, started, finished = await asyncio.get_running_loop().run_in_executor(
            executor, _recognise, pcm16k, hotwords
        )
        return transcript, WorkerRun(pid, submitted, started, finished)

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """The pool after `broken`: a new one, made once for all the calls that saw it break."""
        with self._lock:
            if self._executor is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
            return self._executor

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


_pools: dict[str, RecognitionPool] = {}
_pools_lock = threading.Lock()


def shared_pool(settings: SttSettings) -> RecognitionPool:
    """The process's pool for these settings (created on first use, workers started lazily)."""
    key = settings.model_dump_json()
    with _pools_lock:
        if key not in _pools:
            _pools[key] = RecognitionPool(settings, settings.workers, settings.worker_nice)
        return _pools[key]


def close_pools() -> None:
    """Stop every worker of this process (they also stop when it exits)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


class PooledSpeechToText:
    """`SpeechToText` whose decoding runs in the shared worker pool; one per call.

    `last_run` tells where and when the last utterance was decoded (its wait for a worker is
    `last_run.queued_ms`).
    """

    def __init__(
        self, settings: SttSettings, *, vocabulary: Iterable[str] = (), min_voiced_ms: int = 120
    ) -> None:
        self.name = "moonshine" if settings.model in MOONSHINE_MODELS else "faster-whisper"
        self._takes_hotwords = settings.model not in MOONSHINE_MODELS
        self._pool = shared_pool(settings)
        self._gate = SpeechGate(min_voiced_ms)
        self._hotwords: str | None = None
        self.set_vocabulary(vocabulary)
        self.last_run: WorkerRun | None = None

    def set_vocabulary(self, words: Iterable[str]) -> None:
        """Replace the domain words (Moonshine takes none)."""
        self._hotwords = hotwords_from_vocabulary(words) if self._takes_hotwords else None

    async def load(self) -> None:
        """Start the workers and load their models (otherwise the first utterances pay for it)."""
        if not self._pool.started:
            await self._pool.start()

    async def transcribe(self, pcm16k: bytes, *, hotwords: str | None = None) -> Transcript:
        if (silent := self._gate.silent(pcm16k)) is not None:
            return silent
        transcript, self.last_run = await self._pool.recognise(pcm16k, hotwords or self._hotwords)
        return transcript
