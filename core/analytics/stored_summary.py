"""Call summaries stored beside the call record, so a list, an export or a call's detail shows them
without summarising (or asking a model) again on every view.

The summary of `calls/<id>.json` is `calls/<id>.summary` (JSON; not named `*.json`, so readers of
the records' folder never take it for a record, and `CallArchive.delete` removes it with the call).
It holds the extractive summary, the model's text if one wrote it, whether a model was asked, and
the SHA-256 of the record it was made from: a summary whose record changed, or of an older format,
is made again. Written once after the call by the call controller (`store_summary_after_call`, in a
thread: the call never waits for it), and by any view that finds it missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from earpiece.core.analytics.disposition import Disposition, disposition
from earpiece.core.analytics.records import CallData, read_record
from earpiece.core.analytics.summary import CallSummary, summarise
from earpiece.core.settings import Settings

if TYPE_CHECKING:  # the LLM SDKs load only when a summariser is made
    from earpiece.core.analytics.llm_summary import LlmSummariser

log = logging.getLogger(__name__)

SUFFIX = ".summary"
VERSION = 2  # raise when the summary's content changes: older stored summaries are then made again


def summary_path(record: Path) -> Path:
    return record.with_name(record.stem + SUFFIX)


def _digest(record: Path) -> str:
    return hashlib.sha256(record.read_bytes()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredSummary:
    summary: CallSummary
    model_tried: bool  # a model was asked (it wrote `summary.written`, or failed and never will)


def read_stored(call: CallData) -> StoredSummary | None:
    """The stored summary of the call's record as it is now; None when missing, unreadable, of an
    older format or made from a different record."""
    path = summary_path(call.path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION or data.get("record_sha256") != _digest(call.path):
            return None
        summary = CallSummary(tuple(map(str, data["wanted"])), tuple(map(str, data["told"])),
                              str(data["outcome"]), str(data["written"]))
        return StoredSummary(summary, bool(data["model_tried"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: stored summary unreadable (%s), making it again", path, exc)
        return None


def write_stored(call: CallData, stored: StoredSummary) -> Path:
    """Write atomically (a crash leaves the old file or none, never half of one)."""
    path = summary_path(call.path)
    summary = stored.summary
    data: dict[str, Any] = {
        "version": VERSION, "call_id": call.call_id, "record_sha256": _digest(call.path),
        "wanted": list(summary.wanted), "told": list(summary.told), "outcome": summary.outcome,
        "written": summary.written, "model_tried": stored.model_tried,
    }
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")  # deleted with the call if left over
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def summary_of(call: CallData) -> CallSummary:
    """For a view that must not wait (the desktop's call detail): the stored summary, else the
    extractive one made on the spot (milliseconds; nothing is written, no model is asked)."""
    stored = read_stored(call)
    return stored.summary if stored else summarise(call, disposition(call))


class CallSummaries:
    """Summaries as analyses use them: the stored one when it is current, else made and stored.

    With a model summariser, a call no model has summarised yet is summarised by it: once (a reply
    whose every sentence was dropped by the fact check is not asked for again). When no provider
    replies, the extractive summary is stored as not yet tried and the model is not asked again
    by this object, so a list of many calls waits for one timeout, not one per call."""

    def __init__(self, summariser: LlmSummariser | None = None) -> None:
        self.summariser = summariser
        self.unreachable = False  # no provider replied: later calls keep their extractive summary

    def summary(self, call: CallData, outcome: Disposition | None = None) -> CallSummary:
        stored = read_stored(call)
        wanted = self.summariser is not None and not self.unreachable
        if stored is not None and (stored.model_tried or not wanted):
            return stored.summary
        extractive = stored.summary if stored else summarise(call, outcome or disposition(call))
        written = self.summariser.attempt(call, extractive) if self.summariser and wanted else None
        if wanted and written is None:
            self.unreachable = True
            log.warning("no model replied for the summary of call %s: summaries stay extractive "
                        "until a later view", call.call_id)
        made = StoredSummary(written or extractive, written is not None)
        if made != stored:
            try:
                write_stored(call, made)
            except OSError as exc:  # a read-only folder: the summary is still shown
                log.warning("call %s: summary not stored: %s", call.call_id, exc)
        return made.summary


def summarise_saved_call(record: Path, settings: Settings) -> CallSummary | None:
    """Summarise a call whose record was just saved (with the configured model, if any) and store
    the summary. Never raises: a failure is logged and a later view makes the summary instead."""
    from earpiece.core.analytics.llm_summary import llm_summariser

    try:
        return CallSummaries(llm_summariser(settings)).summary(read_record(record))
    except Exception:
        log.exception("%s: the call's summary was not stored", record)
        return None


def store_summary_after_call(record: Path, settings: Settings) -> threading.Thread:
    """For the call controller, once the call's record is saved: summarise and store it in a
    daemon thread, so neither the call nor the next one waits for a model. Returns the thread
    (join it to wait, as a test or an orderly shutdown may)."""
    worker = threading.Thread(target=summarise_saved_call, args=(record, settings),
                              name=f"summary-{record.stem}", daemon=True)
    worker.start()
    return worker
