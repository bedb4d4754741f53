"""`earpiece ask "QUESTION"`: what the voice engine would answer, with its sources, the provider
that served and the timings; no audio. Uses the same pre-check, retrieval, responder chain and
output guard as a call."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from earpiece.core.settings import Settings, load_settings

# Only a missing sample knowledge base or an older store needs the writer's lock (see `open_reader`);
# a person at a terminal waits this long for another process to let go of it, then is told who holds it.
WRITER_WAIT_S = 30.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("ask", description=__doc__)
    parser.add_argument("question")
    parser.add_argument("--kb", help="knowledge base name (default: knowledge.default_kb from settings)")
    parser.add_argument("--store", type=Path, help="store folder (default: the data folder's knowledge/)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from earpiece.core.knowledge import KnowledgeError, KnowledgeRetriever, open_reader

    settings = load_settings()
    if not args.question.strip():
        print("error: the question is empty", file=sys.stderr)
        return 2
    name = args.kb or settings.knowledge.default_kb
    try:  # a reader: `ask` works while the desktop or an agent owns the store
        reader = open_reader(name, settings=settings.knowledge, root=args.store, writer_wait_s=WRITER_WAIT_S)
        with reader:
            result = asyncio.run(ask(settings, KnowledgeRetriever(reader, name), args.question))
    except (KnowledgeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_text(result)
    if result["error"]:
        print(f"error: every answer provider failed: {result['error']}", file=sys.stderr)
        return 1
    return 0


async def ask(settings: Settings, retriever: Any, question: str) -> dict[str, Any]:
    from earpiece.core.engine.answering import Answer
    from earpiece.core.engine.factory import build_answerer

    answerer = build_answerer(settings, retriever)
    answer = Answer(question.strip())
    started = time.monotonic()
    async for _ in answerer.stream(answer):
        pass
    total_ms = round((time.monotonic() - started) * 1000, 1)
    passages = answer.retrieval.passages if answer.retrieval else []
    return {
        "question": answer.question,
        "answer": answer.text,
        "intent": str(answer.intent),
        "provider": answer.provider,
        "sources": [{"source": p.source, "title": p.title, "score": round(p.score, 3)} for p in passages],
        "timings_ms": {
            "retrieval": answer.retrieval.ms if answer.retrieval else None,
            "llm_ttft": answer.llm_ttft_ms,
            "total": total_ms,
        },
        "llm_attempts": answer.report.attempt_dicts() if answer.report else [],
        "guard": answer.guard_reason,
        "error": answer.error,
    }


def _print_text(result: dict[str, Any]) -> None:
    print(result["answer"])
    print()
    for source in result["sources"]:
        title = f" ({source['title']})" if source["title"] else ""
        print(f"  source: {source['source']}{title}  score {source['score']:.2f}")
    failed = [f"{a['provider']}: {a['outcome']} - {a['reason']}" for a in result["llm_attempts"]]
    fell_back = f"  (fell back: {'; '.join(failed[:-1])})" if len(failed) > 1 else ""
    print(f"  provider: {result['provider']}{fell_back}")
    timings = result["timings_ms"]
    labels = {"retrieval": "retrieval", "llm_ttft": "LLM first token", "total": "total"}
    parts = [f"{label} {timings[key]:.0f} ms" for key, label in labels.items() if timings[key] is not None]
    print("  timings: " + ", ".join(parts))
    if result["guard"]:
        print(f"  output guard: {result['guard']}")
