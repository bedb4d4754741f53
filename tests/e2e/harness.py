"""End-to-end harness shared by tests/e2e and bench/e2e: `earpiece agent` as a child process,
baresip callers that speak a planned WAV, and the analysis of what the caller sent and heard.

    plan = CallerScript.build([speech_a, speech_b], lead_s=5.0, gap_s=14.0)
    with AgentProcess(registrar, "agent", "pw", home) as agent:
        with ScriptedCall(registrar, plan, "caller1") as call:
            call.run(agent.uri)                 # dials, waits for the script to play, hangs up
            turns = analyse(call.sent(), call.heard(), plan)

The caller's two recordings (baresip's sndfile: `-enc` what it sent, `-dec` what it heard) both
start when the call's audio starts, one frame per 20 ms, so a position in one is a time in the
other; `analyse` finds, per question, the end of the caller's speech in what it sent and the first
reply audio in what it heard.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.audio.pcm import float_to_pcm16, pcm16_to_float, to_mono_16k
from earpiece.core.secrets import env_name
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for

ROOT = Path(__file__).resolve().parents[2]
FRAME = SAMPLE_RATE // 50  # samples per 20 ms
SPEECH_DBFS = -42.0  # a 20 ms frame louder than this is speech (TTS and G.722 silence are far below)
READY_LINE = "earpiece agent: registered as"
# The call controller's per-turn metrics line, logged once the reply has been played into the call.
REPLIED = re.compile(r"call \S+ turn \d+ \(.*\): voice-to-voice")


# -- the agent ---------------------------------------------------------------------------------------
class AgentProcess:
    """`python -m earpiece agent` registered at `registrar` as `user`, in its own data folders."""

    def __init__(
        self,
        registrar: Kamailio,
        user: str,
        password: str,
        home: Path,
        *,
        transfer_to: str = "",
        max_calls: int = 4,
        extra_args: tuple[str, ...] = (),
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.registrar = registrar
        self.user = user
        self.home = home
        self.calls_dir = home / "calls"
        self.output = home / "agent-output.log"
        self.argv = [
            sys.executable, "-m", "earpiece", "--log-level", "INFO", "agent",
            "--username", user, "--domain", f"{registrar.domain}:{registrar.port}",
            "--bind", "127.0.0.1", "--sip-port", "0",
            "--calls-dir", str(self.calls_dir), "--max-calls", str(max_calls),
            *(("--transfer-to", transfer_to) if transfer_to else ()),
            *extra_args,
        ]
        self.env = dict(os.environ)
        for name in ("CONFIG", "DATA", "LOG", "CACHE"):
            self.env[f"EARPIECE_{name}_DIR"] = str(home / name.lower())
        self.env[env_name(f"sip:{user}")] = password
        self.env["HF_HUB_OFFLINE"] = "1"
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"sip:{self.user}@{self.registrar.domain}:{self.registrar.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 120.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=ROOT, env=self.env, start_new_session=True,
            )
        ready = wait_for(lambda: READY_LINE in self.text() or not self.alive(), timeout, 0.2)
        if not ready or not self.alive():
            text = self.text()
            self.kill()
            raise RuntimeError(f"earpiece agent did not become ready:\n{text[-4000:]}\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def log_tail(self, chars: int = 6000) -> str:
        log = self.home / "log" / "earpiece.log"
        return log.read_text(errors="replace")[-chars:] if log.exists() else ""

    def terminate(self, timeout: float = 60.0) -> int | None:
        """SIGTERM (the polite shutdown) and wait; returns the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def replies(self) -> int:
        """How many replies the agent has finished speaking into its calls so far (all calls)."""
        return len(REPLIED.findall(self.log_tail(chars=10**8)))

    def records(self) -> list[dict[str, Any]]:
        """The per-call JSON records written so far, oldest first."""
        paths = sorted(self.calls_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
        return [json.loads(p.read_text()) for p in paths]

    def wait_records(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        wait_for(lambda: len(self.records()) >= count, timeout, 0.1)
        return self.records()

    def __enter__(self) -> AgentProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.terminate(30)


def start_together(agents: Collection[AgentProcess]) -> None:
    """Start `agents` side by side (their start-ups overlap); if one fails, kill them all and raise."""
    with ThreadPoolExecutor(len(agents)) as pool:
        started = [pool.submit(agent.start) for agent in agents]
    failures = [f.exception() for f in started if f.exception() is not None]
    if failures:
        for agent in agents:
            agent.kill()
        raise AssertionError(f"an agent did not start: {failures}")


def terminate_together(agents: Collection[AgentProcess], timeout: float = 30.0) -> list[int | None]:
    """SIGTERM `agents` side by side (their shutdowns overlap); their exit codes, in order."""
    with ThreadPoolExecutor(len(agents)) as pool:
        return list(pool.map(lambda agent: agent.terminate(timeout), agents))


# -- the caller --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Utterance:
    start_s: float  # where the speech is placed in the caller's WAV
    end_s: float  # its last voiced frame (measured on the audio, not the nominal length)


@dataclass(frozen=True, slots=True)
class CallerScript:
    pcm: bytes  # 16 kHz mono PCM16: what the caller's microphone plays from the call's start
    utterances: tuple[Utterance, ...]
    duration_s: float  # hang up after this (the last answer has been heard by then)

    @classmethod
    def build(cls, speeches: list[bytes], *, lead_s: float, gap_s: float | list[float],
              tail_s: float = 12.0) -> CallerScript:
        """Silence for `lead_s` (the greeting), then each speech followed by `gap_s` of silence."""
        gaps = gap_s if isinstance(gap_s, list) else [gap_s] * len(speeches)
        parts = [bytes(int(lead_s * SAMPLE_RATE) * 2)]
        position = lead_s
        utterances = []
        for speech, gap in zip(speeches, gaps, strict=True):
            voiced = voiced_frames(speech)
            last = (voiced[-1] + 1) * FRAME / SAMPLE_RATE if len(voiced) else len(speech) / 2 / SAMPLE_RATE
            utterances.append(Utterance(position, position + last))
            parts += [speech, bytes(int(gap * SAMPLE_RATE) * 2)]
            position += len(speech) / 2 / SAMPLE_RATE + gap
        parts.append(bytes(int(tail_s * SAMPLE_RATE) * 2))  # aufile stops at the end of its file
        return cls(b"".join(parts), tuple(utterances), position)

    def write(self, path: Path) -> Path:
        write_wav(path, self.pcm)
        return path


class ScriptedCall:
    """One baresip caller (not registered) that dials through the registrar and speaks a script."""

    def __init__(self, registrar: Kamailio, script: CallerScript, user: str, folder: Path) -> None:
        self.registrar = registrar
        self.script = script
        folder.mkdir(parents=True, exist_ok=True)
        self.wav = script.write(folder / f"{user}-says.wav")
        self.peer = Baresip(user, source_wav=self.wav)
        self.established_at: float | None = None  # monotonic
        self.closed_at: float | None = None

    def dial(self, target: str, timeout: float = 15.0) -> None:
        self.peer.command("dial", target)
        self.peer.wait_event("CALL_ESTABLISHED", timeout=timeout)
        self.established_at = time.monotonic()

    def wait_script(self, extra_s: float = 0.0) -> None:
        assert self.established_at is not None
        remaining = self.established_at + self.script.duration_s + extra_s - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    def wait_done(self, done: Callable[[], bool], after_s: float = 1.5) -> None:
        """Wait until `done()` holds (the agent finished its last reply), then `after_s` more for that
        audio to reach the caller; never longer than the script plays."""
        assert self.established_at is not None
        remaining = self.established_at + self.script.duration_s - time.monotonic()
        if wait_for(done, max(remaining, 0.0), 0.1):
            time.sleep(after_s)

    def hang_up(self, timeout: float = 10.0) -> None:
        since = self.peer.event_count()
        with contextlib.suppress(TimeoutError):
            self.peer.command("hangup")
        self.peer.wait_event("CALL_CLOSED", timeout=timeout, since=max(0, since - 1))
        self.closed_at = time.monotonic()

    def run(self, target: str, done: Callable[[], bool] | None = None) -> None:
        """Dial, let the script play and hang up: at its end, or once `done()` holds (see `wait_done`)."""
        self.dial(target)
        if done is None:
            self.wait_script()
        else:
            self.wait_done(done)
        self.hang_up()

    def recording(self, direction: str, timeout: float = 5.0) -> np.ndarray:
        """What the caller sent ("enc") or heard ("dec"), as 16 kHz float samples."""
        if not wait_for(lambda: bool(self.peer.recordings(direction)), timeout, 0.1):
            raise AssertionError(f"baresip made no {direction} recording:\n{self.peer.log_text()[-2000:]}")
        return read_wav_16k(self.peer.recordings(direction)[-1])

    def heard_so_far(self) -> np.ndarray:
        """What the caller has heard until now (16 kHz float samples), read while the call goes on."""
        recordings = self.peer.recordings("dec")
        return read_growing_wav_16k(recordings[-1]) if recordings else np.zeros(0, np.float32)

    def wait_heard_speech(self, since_s: float = 0.0, quiet_s: float = 0.0, timeout: float = 20.0) -> bool:
        """Wait until the caller has heard speech after `since_s` seconds into the call, followed by
        `quiet_s` seconds of silence (the speech is over)."""

        def heard() -> bool:
            level = frame_dbfs(self.heard_so_far())
            voiced = np.flatnonzero(level > SPEECH_DBFS)
            voiced = voiced[voiced >= since_s * 50]
            return len(voiced) > 0 and len(level) - (voiced[-1] + 1) >= quiet_s * 50

        return wait_for(heard, timeout, 0.2)

    def sent(self) -> np.ndarray:
        return self.recording("enc")

    def heard(self) -> np.ndarray:
        return self.recording("dec")

    def __enter__(self) -> ScriptedCall:
        self.peer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.peer.__exit__(exc_type, exc, tb)


# -- audio analysis ----------------------------------------------------------------------------------
def write_wav(path: Path, pcm: bytes, rate: int = SAMPLE_RATE) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)


def read_wav_16k(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return to_mono_16k(data, rate) if rate != SAMPLE_RATE else data


def read_growing_wav_16k(path: Path) -> np.ndarray:
    """A 16-bit PCM WAV that is still being written (its header gives no sizes yet): every whole
    frame after the header of its `data` chunk."""
    raw = path.read_bytes()
    fmt, data = raw.find(b"fmt ", 12), raw.find(b"data", 12)
    if fmt < 0 or data < 0:
        return np.zeros(0, np.float32)
    channels, rate = struct.unpack_from("<HI", raw, fmt + 10)
    bits = struct.unpack_from("<H", raw, fmt + 22)[0]
    if bits != 16:
        raise ValueError(f"{path}: {bits}-bit samples, expected 16-bit PCM")
    start = data + 8
    usable = (len(raw) - start) // (2 * channels) * 2 * channels
    samples = np.frombuffer(raw[start : start + usable], dtype="<i2").astype(np.float32) / 32768
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return to_mono_16k(samples, rate) if rate != SAMPLE_RATE else samples


def frame_dbfs(samples: np.ndarray) -> np.ndarray:
    """Level of each 20 ms frame in dBFS."""
    count = len(samples) // FRAME
    frames = samples[: count * FRAME].reshape(count, FRAME).astype(np.float64)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-9)))


def voiced_frames(pcm_or_samples: bytes | np.ndarray) -> np.ndarray:
    samples = pcm16_to_float(pcm_or_samples) if isinstance(pcm_or_samples, bytes) else pcm_or_samples
    return np.flatnonzero(frame_dbfs(samples) > SPEECH_DBFS)


@dataclass(frozen=True, slots=True)
class HeardTurn:
    question: int  # index in the script
    end_of_speech_s: float  # in what the caller sent
    reply_onset_s: float | None  # first reply audio in what the caller heard (None: no reply)
    reply_end_s: float | None

    @property
    def voice_to_voice_ms(self) -> float | None:
        if self.reply_onset_s is None:
            return None
        return round((self.reply_onset_s - self.end_of_speech_s) * 1000, 1)


def analyse(sent: np.ndarray, heard: np.ndarray, script: CallerScript) -> list[HeardTurn]:
    """Per question: end of speech (measured in `sent`) and the first reply audio after it in `heard`."""
    sent_voiced = voiced_frames(sent)
    heard_level = frame_dbfs(heard)
    turns = []
    for index, utterance in enumerate(script.utterances):
        near = (sent_voiced >= utterance.start_s * 50 - 5) & (sent_voiced <= utterance.end_s * 50 + 25)
        window = sent_voiced[near]
        end_s = (window[-1] + 1) / 50 if len(window) else utterance.end_s
        last_one = index + 1 == len(script.utterances)
        following = script.duration_s if last_one else script.utterances[index + 1].start_s
        first, last = int(end_s * 50), min(int(following * 50), len(heard_level))
        loud = np.flatnonzero(heard_level[first:last] > SPEECH_DBFS)
        onset = (first + loud[0]) / 50 if len(loud) else None
        end = (first + loud[-1] + 1) / 50 if len(loud) else None
        turns.append(HeardTurn(index, end_s, onset, end))
    return turns


def greeting_onset_s(heard: np.ndarray) -> float | None:
    loud = np.flatnonzero(frame_dbfs(heard) > SPEECH_DBFS)
    return float(loud[0] / 50) if len(loud) else None


def clip_pcm(samples: np.ndarray, start_s: float, end_s: float) -> bytes:
    """16 kHz PCM16 bytes of a stretch of a recording (for the recogniser)."""
    return float_to_pcm16(samples[int(start_s * SAMPLE_RATE) : int(end_s * SAMPLE_RATE)])
