"""Calls out as CSV (one row per call) or JSON lines (one analysed call per line, with its
transcript). Phone numbers are masked unless the caller of `export` asks otherwise: in the caller's
address, display name, transcript and summary, every run of 7+ digits keeps only its last 3."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from typing import Any, TextIO

from earpiece.core.analytics.analysis import CallAnalysis

KEEP_DIGITS = 3
_NUMBER = re.compile(r"(?<![\w.])\+?\(?\d[\d ()-]{5,}\d(?!\w)")

CSV_COLUMNS = (
    "call_id", "started_at", "duration_s", "source", "mode", "account_id", "remote_uri", "display_name",
    "knowledge_base", "disposition", "intent", "sentiment", "sentiment_label", "questions", "answered",
    "declined", "caller_talk_s", "assistant_talk_s", "agent_talk_s", "talk_time_estimated",
    "longest_silence_s", "voice_to_voice_p50_ms", "summary", "summary_source",
)


def _mask_match(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(c.isdigit() for c in text)
    if digits < 7:
        return text
    seen = 0
    out = []
    for char in text:
        if char.isdigit():
            seen += 1
            out.append(char if seen > digits - KEEP_DIGITS else "*")
        else:
            out.append(char)
    return "".join(out)


def mask_numbers(text: str) -> str:
    return _NUMBER.sub(_mask_match, text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


IDENTIFIERS = ("call_id", "started_at")  # never masked: a call id may be all digits (12 hex digits)


def record(analysis: CallAnalysis, *, masked: bool = True) -> dict[str, Any]:
    data = analysis.as_dict()
    if not masked:
        return data
    return {k: v if k in IDENTIFIERS else _masked(v) for k, v in data.items()}


def csv_row(analysis: CallAnalysis, *, masked: bool = True) -> dict[str, Any]:
    data = record(analysis, masked=masked)
    talk = data["talk_time_s"]
    return {
        **{k: data[k] for k in ("call_id", "started_at", "duration_s", "source", "mode", "account_id",
                                "remote_uri", "display_name", "knowledge_base", "disposition", "intent",
                                "questions", "answered", "declined", "talk_time_estimated",
                                "longest_silence_s", "summary", "summary_source")},
        "sentiment": data["sentiment"]["score"], "sentiment_label": data["sentiment"]["label"],
        "caller_talk_s": talk.get("caller", 0.0), "assistant_talk_s": talk.get("assistant", 0.0),
        "agent_talk_s": talk.get("agent", 0.0),
        "voice_to_voice_p50_ms": data["latency_ms"].get("voice_to_voice_p50", ""),
    }


def export(analyses: Iterable[CallAnalysis], out: TextIO, fmt: str, *, masked: bool = True) -> int:
    """Write the calls to `out` as "csv" or "jsonl"; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for analysis in analyses:
            writer.writerow(csv_row(analysis, masked=masked))
            count += 1
    elif fmt == "jsonl":
        for analysis in analyses:
            out.write(json.dumps(record(analysis, masked=masked), ensure_ascii=False) + "\n")
            count += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}: use csv or jsonl")
    return count
