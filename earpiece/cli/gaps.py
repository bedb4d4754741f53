"""`earpiece kb gaps`: what callers asked that the knowledge base could not answer (declined or
answered with low confidence), grouped by meaning across calls, biggest group first.

Registered under `earpiece kb` by `add_gaps_parser(actions)`; `run_gaps(args)` serves it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from earpiece.cli.calls import add_common, open_archive, parse_since
from earpiece.core.settings import load_settings


def add_gaps_parser(subparsers: Any) -> argparse.ArgumentParser:
    gaps = subparsers.add_parser("gaps", help="questions the knowledge base could not answer, grouped",
                                 description=__doc__)
    gaps.add_argument("--kb", help="only calls answered from this knowledge base (default: all)")
    gaps.add_argument("--since", type=parse_since, help="only calls from then on (date, or 7d / 12h)")
    gaps.add_argument("--json", action="store_true", help="machine-readable output")
    add_common(gaps)
    return gaps


def run_gaps(args: argparse.Namespace) -> int:
    from earpiece.core.analytics import knowledge_gaps

    settings = load_settings()
    try:
        archive = open_archive(args, settings)
        calls = archive.calls(since=args.since)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in archive.skipped:
        print(f"skipped: {problem}", file=sys.stderr)
    used = sorted({c.knowledge_base for c in calls if c.knowledge_base})
    if args.kb is not None and used and args.kb not in used:
        print(f"no call in this period was answered from knowledge base {args.kb!r}; "
              f"the calls used: {', '.join(used)}", file=sys.stderr)
    groups = knowledge_gaps(calls, settings, args.kb)
    if args.json:
        print(json.dumps([g.as_dict() for g in groups], indent=2, ensure_ascii=False))
        return 0
    if not groups:
        print(f"no knowledge gaps in {len(calls)} call(s)")
        return 0
    asked = sum(g.count for g in groups)
    print(f"{asked} unanswered question(s) in {len(calls)} call(s), {len(groups)} topic(s):")
    for group in groups:
        last = group.last_seen.astimezone()
        print(f"{group.count:4d} x  {group.label}  ({group.calls} call(s), last {last:%Y-%m-%d})")
        for example in group.examples:
            if example != group.label:
                print(f"         - {example}")
    return 0
