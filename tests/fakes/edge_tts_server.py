"""A local stand-in for Microsoft's edge-tts service, speaking its websocket wire protocol.

The real `edge_tts` SDK connects to it (see `EdgeTextToSpeech(endpoint=...)`). Protocol, as the
SDK implements it: the client sends two text messages (`Path:speech.config`, then `Path:ssml`);
the service answers with a `Path:turn.start` text message, binary audio messages (a 2-byte
big-endian header length, `\\r\\n`-separated headers ending in `Path:audio\\r\\n`, then MP3
bytes), optional `Path:audio.metadata` text messages, and a `Path:turn.end` text message.

Modes: `ok` streams real MP3 (made by the test, e.g. `encode_mp3(piper_speech(...))`) in small
chunks; `error` refuses the websocket handshake with HTTP 403 (the outage users report);
`stall` accepts and never answers; `garbage` answers with text that is not the protocol;
`bad_audio` frames the messages correctly but the audio is not MP3; `stall_after_audio` sends
the first part of the audio and then nothing.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

import av
import numpy as np
import soxr
from aiohttp import WSMsgType, web

from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.audio.pcm import pcm16_to_float

SERVICE_RATE = 24_000  # audio-24khz-48kbitrate-mono-mp3, what the SDK asks for
PATH = "/consumer/speech/synthesize/readaloud/edge/v1"


class Mode(StrEnum):
    OK = "ok"
    ERROR = "error"
    STALL = "stall"
    GARBAGE = "garbage"
    BAD_AUDIO = "bad_audio"
    STALL_AFTER_AUDIO = "stall_after_audio"


def encode_mp3(pcm16k: bytes) -> bytes:
    """16 kHz PCM16 -> a raw 24 kHz 48 kbit/s mono MP3 stream (no ID3 tag), like the service's."""
    samples = soxr.resample(pcm16_to_float(pcm16k), SAMPLE_RATE, SERVICE_RATE).astype(np.float32)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3", options={"id3v2_version": "0", "write_xing": "0"}) as out:
        stream = out.add_stream("libmp3lame", rate=SERVICE_RATE, layout="mono")
        stream.bit_rate = 48_000
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = SERVICE_RATE
        for packet in (*stream.encode(frame), *stream.encode(None)):
            out.mux(packet)
    return buffer.getvalue()


@dataclass
class Request:
    query: dict[str, str]
    speech_config: str
    ssml: str


@dataclass
class FakeEdgeTtsServer:
    mp3: bytes
    mode: Mode = Mode.OK
    chunk_bytes: int = 2048
    chunk_delay_s: float = 0.005
    requests: list[Request] = field(default_factory=list)
    handshakes: int = 0
    _port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None

    @property
    def endpoint(self) -> str:
        """The URL to give `EdgeTextToSpeech(endpoint=...)` (the SDK appends `&ConnectionId=...`)."""
        return f"ws://127.0.0.1:{self._port}{PATH}?TrustedClientToken=test"

    def __enter__(self) -> Self:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="fake-edge-tts", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake edge-tts server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._thread is not None
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get(PATH, self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.handshakes += 1
        mode = self.mode
        if mode is Mode.ERROR:
            return web.Response(status=403, text="Forbidden")  # aiohttp adds the Date header
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        speech_config = await ws.receive_str(timeout=10)
        ssml = await ws.receive_str(timeout=10)
        self.requests.append(Request(dict(request.query), speech_config, ssml))
        request_id = _header(ssml, "X-RequestId")
        if mode is Mode.GARBAGE:
            await ws.send_str("this is not the edge-tts protocol")
        elif mode is not Mode.STALL:
            audio = os.urandom(len(self.mp3)) if mode is Mode.BAD_AUDIO else self.mp3
            await self._speak(ws, request_id, audio, stall_midway=mode is Mode.STALL_AFTER_AUDIO)
        await _wait_for_close(ws)
        return ws

    async def _speak(
        self, ws: web.WebSocketResponse, request_id: str, audio: bytes, *, stall_midway: bool = False
    ) -> None:
        await ws.send_str(_text_message(request_id, "turn.start", {"context": {"serviceTag": "fake"}}))
        header = (
            f"X-RequestId:{request_id}\r\nContent-Type:audio/mpeg\r\n"
            f"X-StreamId:{request_id}\r\nPath:audio\r\n"
        ).encode()
        prefix = len(header).to_bytes(2, "big") + header
        for start in range(0, len(audio), self.chunk_bytes):
            if stall_midway and start >= len(audio) // 2:
                return
            await ws.send_bytes(prefix + audio[start : start + self.chunk_bytes])
            await asyncio.sleep(self.chunk_delay_s)
        boundary = {"Offset": 1_000_000, "Duration": 10_000_000, "text": {"Text": "sentence", "Length": 8}}
        metadata = {"Metadata": [{"Type": "SentenceBoundary", "Data": boundary}]}
        await ws.send_str(_text_message(request_id, "audio.metadata", metadata))
        await ws.send_str(_text_message(request_id, "turn.end", {}))


def _text_message(request_id: str, path: str, body: Mapping[str, object]) -> str:
    return (
        f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\n"
        f"Path:{path}\r\n\r\n{json.dumps(body)}"
    )


def _header(message: str, name: str) -> str:
    for line in message.split("\r\n\r\n", 1)[0].split("\r\n"):
        key, _, value = line.partition(":")
        if key == name:
            return value
    return ""


async def _wait_for_close(ws: web.WebSocketResponse, limit_s: float = 30.0) -> None:
    """Hold the connection until the client leaves (bounded, so a test can never hang here)."""
    try:
        async with asyncio.timeout(limit_s):
            async for message in ws:
                if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
    except TimeoutError:
        pass
    await ws.close()
