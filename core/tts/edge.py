"""edge-tts: Microsoft Edge's online voices through the `edge_tts` SDK, streamed as they arrive.

The service sends 24 kHz MP3; it is decoded and resampled to 16 kHz PCM16 chunk by chunk, so the
first audio is handed on as soon as the first MP3 frames arrive. The service has had 403/503
outages and stalls: every wait (connect, first audio, each next message) is bounded by
`tts.edge_timeout_s`, and every failure is raised as `EdgeTtsError` for the fallback chain.

`endpoint` points the SDK at another server (a self-hosted relay, or the wire-protocol fake in
the tests). The SDK has no per-call knob for its URL (only the module constant
`edge_tts.communicate.WSS_URL`; its `proxy`/`connector` options still verify Microsoft's TLS
certificate), so the override swaps that constant while a stream runs. It is process-wide:
streams to different endpoints at the same time are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from collections.abc import AsyncIterator, Iterator

import aiohttp
import edge_tts
from edge_tts import communicate as edge_communicate

from earpiece.core.settings import TtsSettings
from earpiece.core.tts.mp3 import Mp3DecodeError, Mp3StreamDecoder


class EdgeTtsError(RuntimeError):
    pass


class _EndpointOverride:
    """Reference-counted swap of the SDK's service URL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = ""

    @contextlib.contextmanager
    def use(self, url: str | None) -> Iterator[None]:
        if url is None:
            yield
            return
        with self._lock:
            if self._users and url != edge_communicate.WSS_URL:
                raise EdgeTtsError(
                    f"another edge-tts endpoint ({edge_communicate.WSS_URL}) is in use in this process"
                )
            if not self._users:
                self._saved = edge_communicate.WSS_URL
                edge_communicate.WSS_URL = url
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if not self._users:
                    edge_communicate.WSS_URL = self._saved


_endpoint_override = _EndpointOverride()


def edge_rate(speaking_rate: float) -> str:
    """1.0 -> "+0%", 1.25 -> "+25%", 0.9 -> "-10%" (the SDK's prosody rate)."""
    return f"{round((speaking_rate - 1.0) * 100):+d}%"


class EdgeTextToSpeech:
    """`TextToSpeech` with edge-tts (needs the internet, or `endpoint` for a local server)."""

    name = "edge"

    def __init__(self, settings: TtsSettings, *, endpoint: str | None = None) -> None:
        if settings.edge_timeout_s <= 0:
            raise ValueError(f"tts.edge_timeout_s must be positive, got {settings.edge_timeout_s}")
        self._voice = settings.edge_voice
        self._rate = edge_rate(settings.speaking_rate)
        self._timeout_s = settings.edge_timeout_s
        self._endpoint = endpoint

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        timeout = max(1, math.ceil(self._timeout_s))
        communicate = edge_tts.Communicate(
            text, self._voice, rate=self._rate, connect_timeout=timeout, receive_timeout=timeout
        )
        decoder = Mp3StreamDecoder()
        produced = False
        with _endpoint_override.use(self._endpoint):
            stream = communicate.stream()
            try:
                while True:
                    try:
                        async with asyncio.timeout(self._timeout_s):
                            message = await anext(stream)
                    except StopAsyncIteration:
                        break
                    if message["type"] != "audio":
                        continue
                    pcm = decoder.feed(message["data"])
                    if pcm:
                        produced = True
                        yield pcm
                tail = decoder.finish()
            except TimeoutError as exc:
                raise EdgeTtsError(f"edge-tts sent nothing for {self._timeout_s:g} s") from exc
            except Mp3DecodeError as exc:
                raise EdgeTtsError(f"edge-tts sent audio that is not MP3: {exc}") from exc
            except aiohttp.ClientResponseError as exc:
                raise EdgeTtsError(f"edge-tts refused the request: HTTP {exc.status} {exc.message}") from exc
            except aiohttp.ClientError as exc:
                raise EdgeTtsError(f"cannot reach edge-tts: {type(exc).__name__}: {exc}") from exc
            except (edge_tts.exceptions.EdgeTTSException, ValueError, KeyError) as exc:
                # the SDK's parser raises its own errors, or ValueError/KeyError on malformed messages
                reason = f"{type(exc).__name__}: {exc}"
                raise EdgeTtsError(f"edge-tts sent an unexpected response: {reason}") from exc
            finally:
                await stream.aclose()
        if tail:
            produced = True
            yield tail
        if not produced:
            raise EdgeTtsError(
                f"edge-tts sent no decodable audio ({decoder.bad_packets} damaged MP3 packets)"
            )
