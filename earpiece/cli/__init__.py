"""`earpiece`: with no arguments it starts the desktop app; subcommands serve admins and scripts."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from earpiece import __version__

# Each name is a module in this package with `register(subparsers)`; its parser sets `func`.
COMMANDS: tuple[str, ...] = ("doctor", "kb", "selfcheck", "voice", "demo", "agent", "ask", "calls")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="earpiece", description=__doc__)
    parser.add_argument("--version", action="version", version=f"earpiece {__version__}")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (default: from settings)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from earpiece.core.logging_setup import setup_logging
    from earpiece.core.settings import load_settings

    args = build_parser().parse_args(argv)
    settings = load_settings()
    setup_logging(args.log_level or settings.log_level, console=args.command is not None)
    if args.command is None:
        from earpiece.desktop.app import run_app

        return run_app(settings)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
