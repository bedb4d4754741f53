"""Summaries stored beside the call records (`<id>.summary`): made once, read by `calls list`,
`show` and `export` and by the desktop's call detail, made again when missing or stale, written by
a model when one is configured (asked once per call), and deleted with the call."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.cli import main
from earpiece.core.analytics import CallAnalyser, CallArchive, store_summary_after_call, summary_of
from earpiece.core.analytics.stored_summary import (
    VERSION,
    StoredSummary,
    read_stored,
    summary_path,
    write_stored,
)
from earpiece.core.settings import LlmSettings, Settings
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer, Mode, fake_openai_server

pytestmark = pytest.mark.models

CALL_ID = "2607734435fa"  # Saturday hours (answered: 9:00 am to 1:00 pm), job vacancies (not), goodbye
GROUNDED = ("The caller asked for the Saturday opening hours and was told 9:00 am to 1:00 pm. "
            "They also asked about job vacancies, which the assistant could not answer.")


@pytest.fixture(autouse=True)
def groq_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARPIECE_SECRET_GROQ", "gsk_test_key_0123456789abcdef")


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """An OpenAI-compatible server configured as the LLM (through the environment, as a user would)."""
    with fake_openai_server(FakeConfig(reply=GROUNDED)) as server:
        monkeypatch.setenv("EARPIECE_LLM__PROVIDERS", '["openai", "offline"]')
        monkeypatch.setenv("EARPIECE_LLM__OPENAI_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("EARPIECE_LLM__TIMEOUT_S", "0.4")
        yield server


def listed(records: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    assert main(["calls", "list", "--json", "--calls-dir", str(records)]) == 0
    return {str(row["call_id"]): row for row in json.loads(capsys.readouterr().out)}


def stored(records: Path, call_id: str) -> dict[str, object]:
    return dict(json.loads((records / f"{call_id}.summary").read_text()))


def test_a_summary_is_stored_once_and_read_back(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = listed(records, capsys)
    assert {p.name.removesuffix(".summary") for p in records.glob("*.summary")} == set(first)
    # what `calls list` shows next is what is stored, not made again
    path = records / f"{CALL_ID}.summary"
    data = stored(records, CALL_ID) | {"written": "Stored text, not recomputed."}
    path.write_text(json.dumps(data))
    again = listed(records, capsys)
    row = again[CALL_ID]
    assert (row["summary"], row["summary_source"]) == ("Stored text, not recomputed.", "llm")
    assert main(["calls", "export", "--format", "jsonl", "--calls-dir", str(records)]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {row["call_id"]: row["summary"] for row in exported}[CALL_ID] == "Stored text, not recomputed."
    # the sidecar is not a call record: nothing skipped, nothing extra listed
    archive = CallArchive(records, records / "none.jsonl")
    assert len(archive.calls()) == len(first) and archive.skipped == []


@pytest.mark.parametrize("damage", ["missing", "record changed", "older format", "torn"])
def test_a_missing_or_stale_summary_is_made_again(records: Path, capsys: pytest.CaptureFixture[str],
                                                  damage: str) -> None:
    listed(records, capsys)
    path = records / f"{CALL_ID}.summary"
    data = stored(records, CALL_ID) | {"written": "Stale."}
    path.write_text(json.dumps(data))
    if damage == "missing":
        path.unlink()
    elif damage == "record changed":
        record = records / f"{CALL_ID}.json"
        content = json.loads(record.read_text())
        content["turns"][1]["declined"] = True
        record.write_text(json.dumps(content))
    elif damage == "older format":
        path.write_text(json.dumps(data | {"version": VERSION - 1}))
    else:
        path.write_text(json.dumps(data)[:40])
    row = listed(records, capsys)[CALL_ID]
    assert row["summary_source"] == "extractive" and str(row["summary"]).startswith("Caller asked:")
    assert stored(records, CALL_ID)["written"] == "" and stored(records, CALL_ID)["version"] == VERSION


def test_the_model_summarises_each_call_once(records: Path, model: FakeOpenAIServer,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    first = listed(records, capsys)
    assert len(model.config.requests) == len(first)  # one request per call, the first time
    assert first[CALL_ID]["summary"] == GROUNDED and first[CALL_ID]["summary_source"] == "llm"
    assert all(stored(records, call_id)["model_tried"] for call_id in first)
    again = listed(records, capsys)
    assert main(["calls", "show", CALL_ID, "--json", "--calls-dir", str(records)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(model.config.requests) == len(first)  # list and show again: no request
    assert again == first and shown["summary"] == GROUNDED


def test_an_unreachable_model_is_asked_once_per_run_and_again_later(
    records: Path, model: FakeOpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    model.config.mode = Mode.HTTP_500
    first = listed(records, capsys)
    assert len(model.config.requests) == 1  # not one failure (and timeout) per call
    assert {row["summary_source"] for row in first.values()} == {"extractive"}
    assert not any(stored(records, call_id)["model_tried"] for call_id in first)
    model.config.mode = Mode.OK  # the provider is back: the next view asks for each call
    again = listed(records, capsys)
    assert len(model.config.requests) == 1 + len(first) and again[CALL_ID]["summary"] == GROUNDED


def test_the_controller_stores_the_summary_after_the_call(records: Path) -> None:
    record = records / f"{CALL_ID}.json"
    with fake_openai_server(FakeConfig(reply=GROUNDED)) as server:
        settings = Settings(llm=LlmSettings(providers=["openai", "offline"],
                                            openai_base_url=server.openai_base_url, timeout_s=2.0))
        store_summary_after_call(record, settings).join(timeout=30)
    call = CallArchive(records, records / "none.jsonl").get(CALL_ID)
    found = read_stored(call)
    assert found is not None and found.model_tried and found.summary.written == GROUNDED
    assert summary_of(call).text == GROUNDED  # what the desktop's call detail shows

    missing = records / "nosuchcall.json"
    store_summary_after_call(missing, settings).join(timeout=30)  # logged, never raised
    assert not summary_path(missing).exists()


def test_a_view_that_must_not_wait_reads_without_writing(records: Path) -> None:
    call = CallArchive(records, records / "none.jsonl").get(CALL_ID)
    assert summary_of(call).text.startswith('Caller asked: "What are your opening hours on Saturday?"')
    assert not summary_path(call.path).exists()


def test_the_summary_is_deleted_with_its_call(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed(records, capsys)
    assert (records / f"{CALL_ID}.summary").exists()
    assert main(["calls", "delete", CALL_ID, "--calls-dir", str(records)]) == 0
    assert not list(records.glob(f"{CALL_ID}.*"))


def test_an_analyser_sees_a_summary_stored_after_its_analysis(records: Path,
                                                              call_analyser: CallAnalyser) -> None:
    """The supervisor's long-lived analyser remembers analyses; a summary the controller (or a
    model) stores later replaces the remembered one."""
    call = CallArchive(records, records / "none.jsonl").get(CALL_ID)
    first = call_analyser.analyse(call)
    assert call_analyser.analyse(call) is first and first.summary.source == "extractive"
    found = read_stored(call)
    assert found is not None
    write_stored(call, StoredSummary(dataclasses.replace(found.summary, written=GROUNDED), True))
    assert call_analyser.analyse(call).summary.text == GROUNDED
