"""Close a knowledge gap: an admin's question and answer become a row of a FAQ CSV document kept per
knowledge base (`data_dir()/added-answers/<kb>.csv`), re-ingested through the store after each
addition, so it is searched, screened and listed like any other document."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from earpiece.core.knowledge import FileResult, KnowledgeStore, Outcome
from earpiece.core.paths import data_dir

FOLDER = "added-answers"


class AnswerRejectedError(ValueError):
    pass


def answers_file(kb: str, folder: Path | None = None) -> Path:
    return (folder or data_dir() / FOLDER) / f"{kb}.csv"


def add_answer(store: KnowledgeStore, kb: str, question: str, answer: str,
               folder: Path | None = None) -> FileResult:
    """Append the Q/A and ingest the file. The file is left as it was if the store refuses it."""
    question, answer = " ".join(question.split()), " ".join(answer.split())
    if not question or not answer:
        raise AnswerRejectedError("both the question and the answer are needed")
    store.info(kb)  # raises KnowledgeBaseNotFoundError before anything is written
    path = answers_file(kb, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    rows = io.StringIO()
    writer = csv.writer(rows)
    if not before:
        writer.writerow(["question", "answer"])
    writer.writerow([question, answer])
    _write(path, before + rows.getvalue())
    (result,) = store.add(kb, [path]).results
    if result.outcome is Outcome.FAILED:
        if before:
            _write(path, before)
        else:
            path.unlink()
        raise AnswerRejectedError(result.error or f"{path}: the knowledge base did not take the answer")
    return result


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".csv.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
