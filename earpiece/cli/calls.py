"""`earpiece calls ...`: the calls this machine recorded (desktop and `earpiece agent`), analysed
offline: list, show one, export (phone numbers masked unless --unmasked), delete, prune. Summaries
are stored beside the records; one that is missing is made (by the configured LLM, if any) and kept.

Every action first applies the retention period (`analytics.retention_days`): older calls are
deleted with everything kept about them."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from earpiece.core.settings import Settings, load_settings

if TYPE_CHECKING:  # imported lazily at run time: analytics loads numpy and the embedding runtime
    from earpiece.core.analytics import CallAnalysis, CallArchive


def parse_since(text: str) -> datetime:
    """An ISO date or date-time (local time unless it names a zone), or "7d" / "12h" ago."""
    value = text.strip()
    units = {"d": "days", "h": "hours"}
    if value[:-1].isdigit() and value[-1:] in units:
        return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM or a span such as 7d or 12h"
        ) from None
    return when if when.tzinfo else when.astimezone()


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calls-dir", type=Path,
                        help="folder of call records (default: the data folder's calls/)")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("calls", description=__doc__)
    actions = parser.add_subparsers(dest="calls_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="calls with their summary, disposition, intent and sentiment")
    listing.add_argument("--since", type=parse_since, help="only calls from then on (date, or 7d / 12h)")
    listing.add_argument("--account", help="only calls of this SIP account")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    show = actions.add_parser("show", help="one call in full: summary, sentiment, talk time, transcript")
    show.add_argument("call_id", metavar="ID", help="a call id (or its unique beginning)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    export = actions.add_parser("export", help="all calls as CSV or JSON lines")
    export.add_argument("--format", choices=("csv", "jsonl"), required=True)
    export.add_argument("--since", type=parse_since, help="only calls from then on (date, or 7d / 12h)")
    export.add_argument("--account", help="only calls of this SIP account")
    export.add_argument("-o", "--output", type=Path, help="write here (default: standard output)")
    export.add_argument("--unmasked", action="store_true", help="keep phone numbers whole")
    delete = actions.add_parser("delete", help="delete calls with their transcripts and recordings")
    delete.add_argument("call_ids", nargs="+", metavar="ID")
    prune = actions.add_parser("prune", help="delete calls older than the retention period")
    prune.add_argument("--days", type=int, help="retention in days (default: analytics.retention_days)")
    for sub in (listing, show, export, delete, prune):
        add_common(sub)
    parser.set_defaults(func=run)


def open_archive(args: argparse.Namespace, settings: Settings) -> CallArchive:
    """The archive, with the retention period applied."""
    from earpiece.core.analytics import CallArchive, apply_retention

    archive = CallArchive(args.calls_dir)
    removed = apply_retention(settings, archive)
    if removed:
        days = settings.analytics.retention_days
        print(f"retention: deleted {len(removed)} call(s) older than {days} days", file=sys.stderr)
    return archive


def run(args: argparse.Namespace) -> int:
    from earpiece.core.analytics import CallNotFoundError

    settings = load_settings()
    try:
        return ACTIONS[args.calls_action](args, settings)
    except CallNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _analysed(args: argparse.Namespace, settings: Settings) -> list[CallAnalysis]:
    from earpiece.core.analytics import analyser

    archive = open_archive(args, settings)
    in_period = archive.calls(since=args.since)
    for problem in archive.skipped:
        print(f"skipped: {problem}", file=sys.stderr)
    accounts = sorted({c.account_id for c in in_period if c.account_id})
    if args.account is not None and accounts and args.account not in accounts:
        print(f"no call in this period was on account {args.account!r}; the calls' accounts: "
              f"{', '.join(accounts)}", file=sys.stderr)
    calls = [c for c in in_period if args.account is None or c.account_id == args.account]
    engine = analyser(settings, model_summaries=True)
    return [engine.analyse(call) for call in calls]


def _list(args: argparse.Namespace, settings: Settings) -> int:
    analyses = _analysed(args, settings)
    if args.json:
        rows = []
        for analysis in analyses:
            row = analysis.as_dict()
            row.pop("transcript")
            rows.append(row)
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not analyses:
        print("no calls recorded" + (" in that period" if args.since else ""))
    for a in analyses:
        call = a.call
        print(f"{call.call_id}\t{call.started_at.astimezone():%Y-%m-%d %H:%M}\t{call.duration_s:5.0f} s\t"
              f"{call.remote_uri or '-'}\t{a.disposition}\t{a.intent}\t{a.sentiment.label}\t{a.summary.text}")
    return 0


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from earpiece.core.analytics import analyser

    call = open_archive(args, settings).get(args.call_id)
    analysis = analyser(settings, model_summaries=True).analyse(call)
    data = analysis.as_dict()
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    talk = ", ".join(f"{speaker} {seconds:.0f} s" for speaker, seconds in data["talk_time_s"].items())
    latency = ", ".join(f"{name} {ms:.0f} ms" for name, ms in data["latency_ms"].items())
    started = call.started_at.astimezone()
    print(f"call {call.call_id} ({call.source}, {call.mode}) on {started:%Y-%m-%d %H:%M:%S}, "
          f"{call.duration_s:.0f} s")
    print(f"from {call.remote_uri or 'unknown'} on account {call.account_id or 'unknown'}"
          + (f", knowledge base {call.knowledge_base}" if call.knowledge_base else ""))
    written = " (written by the model, fact-checked)" if data["summary_source"] == "llm" else ""
    print(f"summary{written}: {data['summary']}")
    print(f"disposition: {data['disposition']}; intent: {data['intent']}; "
          f"questions {data['questions']}, answered {data['answered']}, declined {data['declined']}")
    print(f"sentiment: {data['sentiment']['label']} ({data['sentiment']['score']:+.2f})")
    estimated = " (estimated)" if data["talk_time_estimated"] else ""
    print(f"talk time{estimated}: {talk or 'none'}; longest silence {data['longest_silence_s']:.1f} s")
    print(f"latency: {latency or 'none recorded'}")
    print("transcript:")
    scores = {s["turn"]: s for s in data["sentiment"]["turns"]}
    for line in call.transcript:
        mood = f"  [{scores[line.turn]['label']} {scores[line.turn]['score']:+.2f}]" \
            if line.speaker == "caller" and line.turn in scores else ""
        print(f"  {line.t:7.1f} s  {line.speaker:9} {line.text}{mood}")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from earpiece.core.analytics.export import export

    analyses = _analysed(args, settings)
    if args.output is None:
        count = export(analyses, sys.stdout, args.format, masked=not args.unmasked)
    else:
        with args.output.open("w", encoding="utf-8", newline="") as out:
            count = export(analyses, out, args.format, masked=not args.unmasked)
    print(f"exported {count} call(s)" + ("" if args.unmasked else " (phone numbers masked)"), file=sys.stderr)
    return 0


def _delete(args: argparse.Namespace, settings: Settings) -> int:
    archive = open_archive(args, settings)
    # all found before any is deleted; a call whose record cannot be read is deleted too
    ids = [archive.resolve(call_id) for call_id in args.call_ids]
    removed = archive.delete(ids)
    print(f"deleted {len(removed)} call(s)")
    return 0


def _prune(args: argparse.Namespace, settings: Settings) -> int:
    from earpiece.core.analytics import CallArchive

    days = settings.analytics.retention_days if args.days is None else args.days
    if days < 0:
        print("error: --days must be 0 (keep everything) or more", file=sys.stderr)
        return 2
    removed = CallArchive(args.calls_dir).prune(days)
    print(f"deleted {len(removed)} call(s) older than {days} days" if days else "retention is off (0 days)")
    return 0


ACTIONS = {"list": _list, "show": _show, "export": _export, "delete": _delete, "prune": _prune}
