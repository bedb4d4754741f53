"""Recognition in the worker pool: calls do not queue behind each other, workers run below the
audio's priority, a dead worker is replaced, and the settings choose the pool."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.core.models import ModelNotFoundError
from earpiece.core.settings import SttSettings
from earpiece.core.stt import (
    MoonshineSpeechToText,
    PooledSpeechToText,
    WhisperSpeechToText,
    close_pools,
    speech_to_text,
)
from earpiece.core.stt.pool import shared_pool
from tests.audio_gen import concat, espeak_speech, silence
from tests.core.stt import worker_probe
from tests.peers.process import wait_for

pytestmark = pytest.mark.models

SETTINGS = SttSettings(model="moonshine-tiny", workers=2, worker_nice=10)
# Long enough (~6 s of speech) that one decode lasts while the other worker takes the second call.
QUESTION = "Can I bring my dog with me to the zoo, and what time do you open on Sunday morning?"


@pytest.fixture(scope="module")
def pool_started() -> Iterator[set[int]]:
    first = PooledSpeechToText(SETTINGS)
    pids = asyncio.run(first._pool.start())
    yield pids
    close_pools()


@pytest.fixture(scope="module")
def question() -> bytes:
    return concat(silence(300), espeak_speech(QUESTION), silence(300))


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_every_worker_starts(pool_started: set[int]) -> None:
    assert len(pool_started) == SETTINGS.workers
    assert os.getpid() not in pool_started


def test_workers_run_below_the_audio_priority(pool_started: set[int]) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in pool_started} == {min(19, own + 10)}


def test_a_worker_imports_the_recogniser_and_not_the_rest_of_the_agent(pool_started: set[int]) -> None:
    """Every module a worker imports is memory in every worker (bench/memory): it decodes what the
    caller's speech gate let through, so neither the voice-activity stage (and the ONNX Runtime that
    its module loads) nor the knowledge base, the voice or SIP."""
    unwanted = ("onnxruntime", "webrtcvad", "chromadb", "tokenizers", "piper", "pjsua2",
                "earpiece.core.audio.vad", "earpiece.core.knowledge.embedding",
                "earpiece.core.knowledge.store", "earpiece.core.tts", "earpiece.core.engine", "earpiece.sip")

    async def in_a_worker(prefixes: tuple[str, ...]) -> list[str]:
        executor = shared_pool(SETTINGS)._executor
        return await asyncio.get_running_loop().run_in_executor(executor, worker_probe.loaded, prefixes)

    assert asyncio.run(in_a_worker(unwanted)) == []
    assert asyncio.run(in_a_worker(("moonshine_voice",)))  # the probe sees what the worker loaded


def test_the_workers_share_the_model_their_fork_server_loaded(
    pool_started: set[int], question: bytes
) -> None:
    """The workers are forked from a server that loaded the model once (bench/memory: a worker's
    own memory ~14 MB, against ~120 MB with a model of its own), and decode as a model loaded in
    place does."""

    async def in_every_worker() -> list[object]:
        executor, loop = shared_pool(SETTINGS)._executor, asyncio.get_running_loop()
        module = "earpiece.core.stt.preload"
        probes = [loop.run_in_executor(executor, worker_probe.attribute, module, "preloaded")
                  for _ in range(4 * SETTINGS.workers)]
        return await asyncio.gather(*probes)

    assert set(asyncio.run(in_every_worker())) == {SETTINGS.model}
    heard = [asyncio.run(PooledSpeechToText(SETTINGS).transcribe(question)).text for _ in range(4)]
    assert set(heard) == {in_place(question)}


WHISPER_POOL_FIRST = """
import asyncio
from earpiece.core.settings import SttSettings
from earpiece.core.stt import PooledSpeechToText, close_pools
from earpiece.core.stt.pool import shared_pool
from tests.core.stt import worker_probe

async def main() -> None:
    PooledSpeechToText(SttSettings(model="tiny.en", workers=1))  # made, never started
    settings = SttSettings(model="moonshine-tiny", workers=1)
    await PooledSpeechToText(settings).load()
    executor = shared_pool(settings)._executor
    print(await asyncio.get_running_loop().run_in_executor(
        executor, worker_probe.attribute, "earpiece.core.stt.preload", "preloaded"))
    close_pools()

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_a_whisper_pool_made_first_does_not_keep_moonshine_from_being_shared(tmp_path: Path) -> None:
    script = tmp_path / "pools.py"
    script.write_text(WHISPER_POOL_FIRST)
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)}, timeout=120, check=True)
    assert done.stdout.split()[-1] == SETTINGS.model


IN_PLACE = """
import sys
from earpiece.core.stt.moonshine import MoonshineSpeechToText
stt = MoonshineSpeechToText(threads=1)
stt.recognise(bytes(32_000))  # the warm-up a worker runs
print(stt.recognise(sys.stdin.buffer.read()).text)
"""


def in_place(pcm: bytes) -> str:
    """What a model loaded and warmed up in a fresh process makes of `pcm` (Moonshine's output
    depends on what it decoded before, so not this process's model)."""
    done = subprocess.run([sys.executable, "-c", IN_PLACE], input=pcm, capture_output=True, check=True)
    return done.stdout.decode().strip()


def test_two_calls_are_transcribed_at_the_same_time(pool_started: set[int], question: bytes) -> None:
    calls = [speech_to_text(SETTINGS), speech_to_text(SETTINGS)]  # one recogniser per call

    async def both() -> list[str]:
        return [t.text for t in await asyncio.gather(*(call.transcribe(question) for call in calls))]

    for text in asyncio.run(both()):
        assert {"bring", "dog", "zoo", "sunday"} <= words(text), text
    first, second = (call.last_run for call in calls)  # type: ignore[attr-defined]
    assert first is not None and second is not None
    assert first.pid != second.pid and {first.pid, second.pid} <= pool_started
    assert first.started < second.finished and second.started < first.finished, (first, second)


def test_silence_is_not_sent_to_a_worker(pool_started: set[int]) -> None:
    call = PooledSpeechToText(SETTINGS)
    assert asyncio.run(call.transcribe(silence(1500))).text == ""
    assert call.last_run is None


def test_a_killed_worker_is_replaced(pool_started: set[int], question: bytes) -> None:
    for pid in pool_started:
        os.kill(pid, signal.SIGKILL)
    call = PooledSpeechToText(SETTINGS)
    transcript = asyncio.run(call.transcribe(question))
    assert {"dog", "zoo"} <= words(transcript.text), transcript
    assert call.last_run is not None and call.last_run.pid not in pool_started


def test_settings_choose_the_pool_or_this_process() -> None:
    assert isinstance(speech_to_text(SttSettings(model="tiny.en", workers=2)), PooledSpeechToText)
    assert isinstance(speech_to_text(SttSettings(model="moonshine-tiny", workers=0)), MoonshineSpeechToText)
    in_process = speech_to_text(SttSettings(model="tiny.en", workers=0), vocabulary=["X200"])
    assert isinstance(in_process, WhisperSpeechToText)


def test_a_missing_model_is_named_before_any_worker_starts(tmp_path: Path) -> None:
    call = PooledSpeechToText(SttSettings(model=str(tmp_path / "no-model"), workers=1))
    with pytest.raises(ModelNotFoundError, match=r"`stt\.model` was not found"):
        asyncio.run(call.load())


AGENT = """
import asyncio, sys
from earpiece.core.settings import SttSettings
from earpiece.core.stt.pool import RecognitionPool

async def main() -> None:
    pool = RecognitionPool(SttSettings(model="moonshine-tiny"), 1, 10)
    print(*await pool.start(), flush=True)
    sys.stdin.read()

if __name__ == "__main__":
    asyncio.run(main())
"""


def running(pid: int) -> bool:
    """The process exists and is not a zombie (no init may reap it in a container)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_stop_when_their_process_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "agent.py"
    script.write_text(AGENT)
    agent = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert agent.stdout is not None
        (worker,) = (int(pid) for pid in agent.stdout.readline().split())
        assert running(worker)
    finally:
        agent.kill()
        agent.wait(10)
    assert wait_for(lambda: not running(worker), 10, 0.1), "the worker outlived its agent"
