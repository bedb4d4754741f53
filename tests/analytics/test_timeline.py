"""Talk time and silences: measured from the recorded start (or duration) of the caller's speech
when the record has it, estimated from the words when it does not (older records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from earpiece.cli import main
from earpiece.core.analytics import CallArchive, CallData
from earpiece.core.analytics.timeline import SPEECH_DURATION, SPEECH_START, Segment, segments, talk_time

CALL_ID = "2607734435fa"  # three caller turns, answered by the agent (origin: the SIP answer time)
SPOKEN_S = {1: 2.25, 2: 1.5, 3: 3.125}  # how long each caller utterance lasted, in this test


def with_speech(records: Path, fields: tuple[str, ...]) -> CallData:
    """The record as a newer engine writes it: each caller turn says when its speech began (seconds
    since the session started), how long it lasted (ms), or both."""
    path = records / f"{CALL_ID}.json"
    data = json.loads(path.read_text())
    origin = data["sip"]["answered_monotonic"]  # the session's t = 0 on the turns' monotonic clock
    for turn in data["turns"]:
        spoken = SPOKEN_S[turn["turn_id"]]
        values = {SPEECH_START: turn["end_of_speech_at"] - origin - spoken, SPEECH_DURATION: spoken * 1000}
        turn |= {name: values[name] for name in fields}
    path.write_text(json.dumps(data))
    return CallArchive(records, records / "none.jsonl").get(CALL_ID)


def caller_spans(call: CallData) -> list[Segment]:
    return [s for s in segments(call) if s.speaker == "caller"]


@pytest.mark.parametrize("fields", [(SPEECH_START, SPEECH_DURATION), (SPEECH_START,), (SPEECH_DURATION,)])
def test_recorded_speech_gives_the_callers_exact_talk_time(records: Path, fields: tuple[str, ...]) -> None:
    call = with_speech(records, fields)
    origin = call.answered_monotonic
    assert origin is not None
    spans = caller_spans(call)
    for span, turn in zip(spans, call.turns, strict=True):
        assert span.measured
        assert span.end == pytest.approx(turn["end_of_speech_at"] - origin)
        assert span.end - span.start == pytest.approx(SPOKEN_S[turn["turn_id"]])
    talk = talk_time(call)
    assert talk.seconds["caller"] == pytest.approx(sum(SPOKEN_S.values()), abs=0.01)
    assert not talk.estimated


def test_older_records_are_estimated_from_the_words(archive: CallArchive) -> None:
    call = archive.get(CALL_ID)
    assert not any(SPEECH_START in t or SPEECH_DURATION in t for t in call.turns)
    spans = caller_spans(call)
    assert spans and not any(s.measured for s in spans)
    for span, line in zip(spans, [x for x in call.transcript if x.speaker == "caller"], strict=True):
        assert span.end - span.start == pytest.approx(len(line.text.split()) / 2.6)
    assert talk_time(call).estimated


def test_the_silence_before_a_caller_is_measured_from_their_first_word(records: Path) -> None:
    """The caller's second question began 1 s after the answer before it ended, and lasted 2 s."""
    with_speech(records, (SPEECH_START, SPEECH_DURATION))
    path = records / f"{CALL_ID}.json"
    data = json.loads(path.read_text())
    answer_end = next(line["t"] for line in data["transcript"] if line["speaker"] == "assistant"
                      and line["turn"] == 1)
    data["turns"][1] |= {SPEECH_START: answer_end + 1.0, SPEECH_DURATION: 2000.0}
    path.write_text(json.dumps(data))
    call = CallArchive(records, records / "none.jsonl").get(CALL_ID)
    second = caller_spans(call)[1]
    assert (second.start, second.end) == pytest.approx((answer_end + 1.0, answer_end + 3.0))
    previous = max((s for s in segments(call) if s.end <= second.start), key=lambda s: s.end)
    assert previous.speaker == "assistant" and second.start - previous.end == pytest.approx(1.0)


@pytest.mark.models
def test_calls_show_says_when_talk_time_is_estimated(records: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    def shown() -> tuple[str, dict[str, Any]]:
        assert main(["calls", "show", CALL_ID, "--calls-dir", str(records)]) == 0
        text = capsys.readouterr().out
        assert main(["calls", "show", CALL_ID, "--json", "--calls-dir", str(records)]) == 0
        return text, dict(json.loads(capsys.readouterr().out))

    text, data = shown()
    assert "talk time (estimated):" in text and data["talk_time_estimated"] is True
    with_speech(records, (SPEECH_START, SPEECH_DURATION))
    text, data = shown()
    assert "talk time: " in text and data["talk_time_estimated"] is False
    assert data["talk_time_s"]["caller"] == pytest.approx(sum(SPOKEN_S.values()), abs=0.01)
