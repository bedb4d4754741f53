"""After each call the controller gives the native memory its session freed back to the system
(glibc's `malloc_trim`, off the event loop), once the call's record is written; without glibc the
trim is a quiet no-op."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import platform
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.core.calls import memory
from tests.core.calls.test_controller import AGENT, Line, greeted, hang_up, run


@pytest.fixture(autouse=True)
def fresh_libc_lookup() -> Iterator[None]:
    memory._glibc_function.cache_clear()
    yield
    memory._glibc_function.cache_clear()


def test_a_finished_call_trims_native_memory_after_its_record(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[tuple[bool, int]] = []  # (the record existed, calls still active) at each trim

    async def script(line: Line) -> None:
        def trim() -> bool:
            trims.append(((line.calls_dir / "c1.json").exists(), line.controller.active_calls))
            return True

        monkeypatch.setattr(memory, "trim_native_memory", trim)
        media = line.connect()
        await greeted(line)
        assert not trims, "no trim while the call goes on"
        await hang_up(line, media)
        for _ in range(200):
            if trims:
                break
            await asyncio.sleep(0.01)

    run(tmp_path, AGENT, script)
    assert trims == [(True, 0)]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_is_asked_to_trim() -> None:
    assert memory.trim_native_memory() is True


def test_without_glibc_the_trim_does_nothing(monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    class MuslLibc:  # a C library without malloc_trim
        def __init__(self, name: str | None) -> None:
            self.name = name

    monkeypatch.setattr(ctypes, "CDLL", MuslLibc)
    with caplog.at_level(logging.DEBUG, logger=memory.__name__):
        assert memory.trim_native_memory() is False
        asyncio.run(memory.release_memory_after_call())  # no error either off the loop
    assert "no malloc_trim" in caplog.text
