"""`chroma run`, as the chromadb package ships it, on a free port of 127.0.0.1 for a test."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SERVER_START_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve(folder: Path, port: int) -> Iterator[str]:
    """`chroma run` on `folder` at 127.0.0.1:`port`, ready when this yields its URL; stopped after."""
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / f"chroma-{port}.log").open("a")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("chroma")), "run", "--path", str(folder / "served"),
         "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                httpx.get(f"{url}/api/v2/heartbeat", timeout=1.0).raise_for_status()
                break
            except httpx.HTTPError:
                assert server.poll() is None, (folder / f"chroma-{port}.log").read_text()
                assert time.monotonic() < deadline, "chroma run did not start"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """`chroma run` as shipped by the chromadb package, on a free local port."""
    with serve(tmp_path, free_port()) as url:
        yield url
