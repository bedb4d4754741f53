"""A local server speaking the OpenAI / Groq chat-completions protocol (JSON + server-sent events),
so tests drive the real `groq` and `openai` SDKs through every failure a provider can show.

Groq's SDK posts to `{base_url}/openai/v1/chat/completions`, the OpenAI SDK to
`{base_url}/chat/completions`; any path ending in `/chat/completions` is served.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from earpiece.core.llm.prompt import NOT_FOUND_REPLY


class Mode(StrEnum):
    OK = "ok"
    STALL_FIRST = "stall_first"  # headers sent, then nothing
    STALL_MID = "stall_mid"  # `stall_after_chunks` chunks, then nothing
    HTTP_500 = "http_500"
    MODEL_404 = "model_404"  # what Groq answers for a retired model
    GARBAGE = "garbage"  # a 200 event stream whose events are not JSON
    SLOW_FIRST = "slow_first"  # `first_token_delay_s`, then a normal answer
    EMPTY = "empty"  # a well-formed stream with no content (a reasoning model without headroom)
    GROUNDED = "grounded"  # answers from the prompt's knowledge passages (see `grounded_reply`)
    DRIP = "drip"  # each chunk after `first_token_delay_s`: never silent for long, yet slow to finish


@dataclass
class FakeConfig:
    mode: Mode = Mode.OK
    reply: str = "Our office opens at nine in the morning. Ask me anything else."
    chunk_words: int = 2
    first_token_delay_s: float = 0.5
    stall_after_chunks: int = 2
    stall_max_s: float = 30.0  # a stall ends at the latest here, or when the server stops
    lie_every: int = 0  # GROUNDED: every n-th answer changes a figure (a model that lies); 0: never
    requests: list[dict[str, Any]] = field(default_factory=list)


def _chunk(content: str | None, finish: str | None = None, model: str = "fake") -> bytes:
    delta: dict[str, Any] = {"role": "assistant"}
    if content is not None:
        delta["content"] = content
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def _pieces(text: str, words_per_chunk: int) -> list[str]:
    words = text.split(" ")
    return [
        " ".join(words[i : i + words_per_chunk]) + (" " if i + words_per_chunk < len(words) else "")
        for i in range(0, len(words), words_per_chunk)
    ]


_FENCED = re.compile(r"<<(KNOWLEDGE|CALLER SAID) \w+>>\n(.*?)\n<<END \1 \w+>>", re.DOTALL)
_COMMON = frozenset(re.findall(r"\w+", (
    "a an the and or of to in on at for is are be do does can i you we it my your our what how when "
    "where which who will would could should there this that with from by about me please if not any"
)))


def _terms(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _COMMON}


def grounded_reply(messages: list[dict[str, str]], *, lie: bool = False) -> str:
    """A stand-in for a grounded model: the knowledge sentence sharing most words with the caller's
    question (several ask-alike words needed, else the fixed not-found reply). With `lie`, it
    changes the first figure of that sentence, or adds an invented phone number."""
    fenced = {m.group(1): m.group(2) for m in _FENCED.finditer(messages[-1]["content"])}
    asked = _terms(fenced.get("CALLER SAID", ""))
    knowledge = re.sub(r"^\[\d+\] source:.*$", "", fenced.get("KNOWLEDGE", ""), flags=re.MULTILINE)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", knowledge) if len(s.split()) >= 3]
    scored = sorted(sentences, key=lambda s: -len(asked & _terms(s)))
    if not scored or len(asked & _terms(scored[0])) < 2:
        return NOT_FOUND_REPLY
    answer = scored[0] if scored[0].endswith((".", "!")) else scored[0] + "."
    if lie:
        changed = re.sub(r"\d+", lambda m: str(int(m.group(0)) + 7), answer, count=1)
        answer = changed if changed != answer else answer + " You can also call us on 0800 123 4567."
    return answer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        config = self.server.config
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        config.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if not self.path.endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        mode = config.mode
        if mode is Mode.HTTP_500:
            self._json(500, {"error": {"message": "internal server error", "type": "server_error"}})
            return
        if mode is Mode.MODEL_404:
            model = body.get("model", "")
            self._json(404, {"error": {
                "message": f"The model `{model}` has been decommissioned and is no longer supported.",
                "type": "invalid_request_error", "code": "model_decommissioned"}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        # The client may give up mid-stream (a timeout in the code under test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._stream(config, body.get("model", "fake"))

    def _stream(self, config: FakeConfig, model: str) -> None:
        if config.mode is Mode.STALL_FIRST:
            self.server.released.wait(config.stall_max_s)
            return
        if config.mode is Mode.SLOW_FIRST:
            self.server.released.wait(config.first_token_delay_s)
        if config.mode is Mode.GARBAGE:
            self.wfile.write(b"data: <html>Bad gateway</html>\n\n")
            self.wfile.write(b"data: {\"choices\": [{\"delta\": \n\n")
            return
        self.wfile.write(_chunk("", model=model))  # the role-only opening chunk
        reply = config.reply
        if config.mode is Mode.GROUNDED:
            lie = config.lie_every > 0 and len(config.requests) % config.lie_every == 0
            reply = grounded_reply(config.requests[-1]["body"]["messages"], lie=lie)
        if config.mode is not Mode.EMPTY:
            for n, piece in enumerate(_pieces(reply, config.chunk_words)):
                if config.mode is Mode.STALL_MID and n == config.stall_after_chunks:
                    self.server.released.wait(config.stall_max_s)
                    return
                if config.mode is Mode.DRIP and self.server.released.wait(config.first_token_delay_s):
                    return
                self.wfile.write(_chunk(piece, model=model))
                self.wfile.flush()
        self.wfile.write(_chunk(None, finish="stop", model=model))
        self.wfile.write(b"data: [DONE]\n\n")

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: FakeConfig) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.config = config
        self.released = threading.Event()


@dataclass
class FakeOpenAIServer:
    config: FakeConfig
    port: int

    @property
    def groq_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@contextmanager
def fake_openai_server(config: FakeConfig | None = None) -> Iterator[FakeOpenAIServer]:
    config = config or FakeConfig()
    server = _Server(config)
    thread = threading.Thread(target=server.serve_forever, name="fake-openai", daemon=True)
    thread.start()
    try:
        yield FakeOpenAIServer(config, server.server_address[1])
    finally:
        server.released.set()  # end any stall
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
