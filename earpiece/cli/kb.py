"""`earpiece kb ...`: create, fill, inspect, search, rebuild and drop knowledge bases; publish the
index to a Chroma server for agents on other machines; list what callers asked that it could not
answer (`gaps`).

`list`, `docs` and `search` only read: they work while another process (the desktop app, an agent,
another `earpiece kb add`) owns the store. The other actions write and need the store to be free.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

from earpiece.cli.gaps import add_gaps_parser, run_gaps
from earpiece.core.knowledge import (
    IngestReport,
    KnowledgeError,
    KnowledgeReader,
    KnowledgeStore,
    Outcome,
    Progress,
)
from earpiece.core.knowledge.embedding import MiniLmEmbeddingFunction
from earpiece.core.knowledge.index import Collections, connect, copy_index
from earpiece.core.settings import Settings, load_settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("kb", description=__doc__)
    parser.add_argument("--store", type=Path, help="store folder (default: the data folder's knowledge/)")
    actions = parser.add_subparsers(dest="kb_action", metavar="ACTION", required=True)

    def kb_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--kb", help="knowledge base name (default: knowledge.default_kb from settings)")

    actions.add_parser("create", help="create an empty knowledge base").add_argument("name")
    add = actions.add_parser("add", help="ingest files and folders (.txt .md .pdf .docx .html .csv)")
    kb_option(add)
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--quiet", action="store_true", help="no progress bar")
    listing = actions.add_parser("list", help="knowledge bases with their stats")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    docs = actions.add_parser("docs", help="documents of a knowledge base, with units held back by screening")
    kb_option(docs)
    docs.add_argument("--json", action="store_true", help="machine-readable output")
    remove = actions.add_parser("remove", help="delete a document (by path or file name)")
    kb_option(remove)
    remove.add_argument("document")
    search = actions.add_parser("search", help="the passages that best answer a question")
    kb_option(search)
    search.add_argument("question")
    search.add_argument("-k", type=int, default=None, help="how many passages (default: knowledge.top_k)")
    search.add_argument("--json", action="store_true", help="machine-readable output")
    rebuild = actions.add_parser("rebuild", help="re-read the source files and recreate the index")
    kb_option(rebuild)
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar")
    actions.add_parser("drop", help="delete a knowledge base and its index").add_argument("name")
    publish = actions.add_parser(
        "publish", help="copy the index to the Chroma server agents on other machines answer from"
    )
    publish.add_argument("--to", metavar="URL", help="http://HOST:PORT of a `chroma run` server "
                                                     "(default: knowledge.index_url from settings)")
    add_gaps_parser(actions)
    parser.set_defaults(func=run)


INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C


def run(args: argparse.Namespace) -> int:
    if args.kb_action == "gaps":  # reads the call records, not the store
        return run_gaps(args)
    settings = load_settings()
    try:
        if args.kb_action in READ_ACTIONS:
            with KnowledgeReader(args.store, settings=settings.knowledge) as reader:
                return READ_ACTIONS[args.kb_action](reader, args, settings)
        with KnowledgeStore(args.store, settings=settings.knowledge) as store:
            code: int = ACTIONS[args.kb_action](store, args, settings)
            return code
    except KnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _kb(args: argparse.Namespace, settings: Settings) -> str:
    return str(args.kb or settings.knowledge.default_kb)


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


class _Bar:
    """A progress bar over files on stderr, fed by the store's progress callback."""

    def __init__(self, quiet: bool) -> None:
        self._bar: RichProgress | None = None
        self._task = TaskID(0)
        self._quiet = quiet

    def __call__(self, progress: Progress) -> None:
        if self._quiet:
            return
        if self._bar is None:
            self._bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("ingesting", total=progress.files_total, detail="")
        name = Path(progress.current).name if progress.current else ""
        detail = f"{name} {progress.message}".strip() + f" · {progress.chunks_done} chunks"
        self._bar.update(self._task, completed=progress.files_done, detail=detail)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _print_report(report: IngestReport) -> int:
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for result in report.failed:
        print(f"failed: {result.error}", file=sys.stderr)
    counts = ", ".join(f"{report.count(o)} {o.value}" for o in Outcome if report.count(o))
    print(f"{counts or 'nothing to do'}; {report.chunks_written} new chunks in {report.seconds:.1f} s")
    return 1 if report.failed else 0


def _create(store: KnowledgeStore, args: argparse.Namespace, settings: Settings) -> int:
    kb = store.create(args.name)
    print(f"created knowledge base {kb.name!r}")
    return 0


def _add(store: KnowledgeStore, args: argparse.Namespace, settings: Settings) -> int:
    """Ingests in a worker thread, so Ctrl-C stops it cleanly at the next embedding batch."""
    bar = _Bar(args.quiet)
    cancel, finished = threading.Event(), threading.Event()
    done: list[IngestReport] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            done.append(store.add(_kb(args, settings), args.paths, progress=bar, cancel=cancel))
        except BaseException as exc:  # handed to the main thread, which reports it
            failed.append(exc)
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="kb-add")
    worker.start()
    try:
        while not finished.is_set():
            try:  # not Thread.join: a Ctrl-C inside join() can leave the thread looking finished
                finished.wait(0.2)
            except KeyboardInterrupt:
                cancel.set()
                print("\ncancelling: files not yet committed are dropped, committed files are kept",
                      file=sys.stderr)
    finally:
        bar.close()
    worker.join()
    if failed:
        raise failed[0]
    code = _print_report(done[0])
    if done[0].cancelled:
        print("cancelled; add the same files again to carry on from here", file=sys.stderr)
        return INTERRUPTED
    return code


def _list(store: KnowledgeReader, args: argparse.Namespace, settings: Settings) -> int:
    kbs = store.knowledge_bases()
    if args.json:
        print(json.dumps([asdict(kb) for kb in kbs], indent=2, ensure_ascii=False))
        return 0
    if not kbs:
        print("no knowledge bases yet; create one with `earpiece kb create NAME`")
    for kb in kbs:
        print(f"{kb.name}\t{kb.documents} documents\t{kb.chunks} chunks\tupdated {_when(kb.updated_at)}")
    return 0


def _docs(store: KnowledgeReader, args: argparse.Namespace, settings: Settings) -> int:
    name = _kb(args, settings)
    flagged = [c for c in store.chunks(name) if c.flags]
    if args.json:
        payload = [
            {**asdict(doc), "held_back": [
                {"position": c.position, "heading": c.heading, "text": c.text, "reasons": list(c.flags)}
                for c in flagged if c.source == doc.source
            ]}
            for doc in store.documents(name)
        ]
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    for doc in store.documents(name):
        held = f"\t{doc.flagged} held back" if doc.flagged else ""
        added = _when(doc.added_at)
        print(f"{doc.source}\t{doc.kind}\t{doc.chunks} chunks{held}\tadded {added}\t{doc.title}")
    if flagged:
        print(f"\n{len(flagged)} unit(s) held back by screening (stored, never searched or spoken):")
    for chunk in flagged:
        print(f"  {chunk.source} #{chunk.position}: {', '.join(chunk.flags)}\n    {chunk.text[:200]}")
    return 0


def _remove(store: KnowledgeStore, args: argparse.Namespace, settings: Settings) -> int:
    doc = store.remove(_kb(args, settings), args.document)
    print(f"removed {doc.source} ({doc.chunks} chunks)")
    return 0


def _search(store: KnowledgeReader, args: argparse.Namespace, settings: Settings) -> int:
    k = args.k if args.k is not None else settings.knowledge.top_k
    result = store.search(_kb(args, settings), args.question, k)
    if args.json:
        payload = {
            "question": args.question,
            "passages": [asdict(p) for p in result.passages],
            "timing_ms": {"embed": result.embed_ms, "query": result.query_ms, "total": result.total_ms},
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    if not result.passages:
        print("no passages")
    for rank, passage in enumerate(result.passages, start=1):
        print(f"{rank}. [{passage.score:.2f}] {passage.kind} · {passage.title} ({passage.source})\n"
              f"   {passage.text}")
    print(f"({result.total_ms:.0f} ms)")
    return 0


def _rebuild(store: KnowledgeStore, args: argparse.Namespace, settings: Settings) -> int:
    bar = _Bar(args.quiet)
    started = time.perf_counter()
    try:
        report = store.rebuild(_kb(args, settings), progress=bar)
    finally:
        bar.close()
    code = _print_report(report)
    print(f"rebuilt the index of {_kb(args, settings)!r} in {time.perf_counter() - started:.1f} s")
    return code


def _publish(store: KnowledgeStore, args: argparse.Namespace, settings: Settings) -> int:
    """The whole index, brought up to date on the server: only what changed is sent."""
    url = args.to or settings.knowledge.index_url
    if not url:
        raise KnowledgeError("Name the Chroma server: --to http://HOST:PORT, or set knowledge.index_url.")
    started = time.perf_counter()
    server = Collections(connect(url), MiniLmEmbeddingFunction(store.embedder))
    try:
        copied = copy_index(store.index, server)
    finally:
        server.close()
    print(f"{url} now serves {len(store.knowledge_bases())} knowledge base(s); {copied} passages sent "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def _drop(store: KnowledgeStore, args: argparse.Namespace, settings: Settings) -> int:
    store.drop(args.name)
    print(f"dropped knowledge base {args.name!r}")
    return 0


ACTIONS = {
    "create": _create, "add": _add, "remove": _remove, "rebuild": _rebuild, "drop": _drop,
    "publish": _publish,
}
READ_ACTIONS = {"list": _list, "docs": _docs, "search": _search}
