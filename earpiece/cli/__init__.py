"""`earpiece`: with no arguments it starts the desktop app; subcommands serve admins and scripts."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import reprlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from earpiece import __version__

if TYPE_CHECKING:
    from earpiece.core.settings import Settings

    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsers = argparse._SubParsersAction

BAD_SETTINGS = 2  # exit code: the settings could not be read (the file is left as it is)


@dataclass(frozen=True, slots=True)
class Command:
    module: str  # the module in this package with `register(subparsers)`; the parser it adds sets `func`
    help: str  # the line in `earpiece --help`


COMMANDS: dict[str, Command] = {
    "doctor": Command("doctor", "check models, devices, keyring and pjsua2"),
    "kb": Command("kb", "manage knowledge bases"),
    "selfcheck": Command(
        "selfcheck", "speak, transcribe and answer one question from the sample knowledge base, offline"
    ),
    "transcribe": Command("voice", "speech to text from a WAV file"),
    "say": Command("voice", "text to speech into a WAV file"),
    "demo-caller": Command("demo", "call the desktop app and ask sample questions"),
    "agent": Command("agent", "answer calls autonomously (headless)"),
    "ask": Command("ask", "answer a question from a knowledge base"),
    "calls": Command("calls", "recorded calls: list, show, export"),
}


class _Commands(_SubParsers):
    """Every command listed with its help line, but its module imported (and its parser made) only when
    it runs: the rest stays unloaded (`agent --supervise` is not to hold Chroma, ONNX Runtime or Piper)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unloaded: dict[str, str] = {}  # command: its module, while its parser is a stand-in

    def add_command(self, name: str, command: Command) -> None:
        self.add_parser(name, help=command.help, add_help=False)
        self.unloaded[name] = command.module

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
        values: Any, option_string: str | None = None,
    ) -> None:
        module = self.unloaded.get(values[0])
        if module is not None:
            loaded = argparse._SubParsersAction(
                option_strings=[], prog=self._prog_prefix, parser_class=self._parser_class
            )
            importlib.import_module(f"{__name__}.{module}").register(loaded)
            self.choices.update(loaded.choices)
            for name in loaded.choices:
                del self.unloaded[name]
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="earpiece", description=__doc__)
    parser.add_argument("--version", action="version", version=f"earpiece {__version__}")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (default: from settings)")
    commands = cast(_Commands, parser.add_subparsers(action=_Commands, dest="command", metavar="COMMAND"))
    for name, command in COMMANDS.items():
        commands.add_command(name, command)
    return parser


def settings_problem(error: Exception, path: Path) -> str:
    """What is wrong with the settings, for a person: the file, each field and why."""
    from pydantic import ValidationError

    from earpiece.core.redaction import redact

    kept = "The file was left as it is; correct it, or move it away to start from the defaults."
    if isinstance(error, json.JSONDecodeError):
        why = f"is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
    elif isinstance(error, UnicodeDecodeError):
        why = f"is not UTF-8 text ({error.reason} at byte {error.start})"
    elif isinstance(error, OSError):
        why = f"cannot be read: {error.strerror or error}"
    elif isinstance(error, ValidationError):
        lines = [f"earpiece: the settings are not valid (settings file: {path}):"]
        for problem in error.errors(include_url=False):
            field = ".".join(map(str, problem["loc"])) or "(the whole file)"
            env = "EARPIECE_" + "__".join(map(str, problem["loc"])).upper()
            origin = f" (set by the environment variable {env})" if env in os.environ else ""
            given = "" if problem["type"] == "missing" else f", not {reprlib.repr(problem['input'])}"
            lines.append(f"  {field}: {problem['msg']}{given}{origin}")
        return redact("\n".join([*lines, kept]))
    elif isinstance(error, TypeError):  # valid JSON that is not one object: pydantic-settings cannot merge it
        why = "must hold one JSON object ({...}) of settings"
    else:
        why = f"cannot be used: {error}"
    return redact(f"earpiece: the settings file {path} {why}.\n{kept}")


def settings_or_problem() -> Settings | str:
    """The settings, or what is wrong with them (`settings_problem`)."""
    from earpiece.core.settings import load_settings, settings_path

    try:
        return load_settings()
    except (ValueError, TypeError, OSError) as error:  # ValidationError and JSONDecodeError are ValueErrors
        return settings_problem(error, settings_path())


def main(argv: Sequence[str] | None = None) -> int:
    from earpiece.core.logging_setup import setup_logging

    args = build_parser().parse_args(argv)
    if args.command is None:  # the desktop, started from a menu perhaps: it asks about bad settings
        from earpiece.desktop.app import start_desktop

        return start_desktop(settings_or_problem, args.log_level, bad_settings_code=BAD_SETTINGS)
    settings = settings_or_problem()
    if isinstance(settings, str):
        print(settings, file=sys.stderr)
        return BAD_SETTINGS
    setup_logging(args.log_level or settings.log_level, console=True)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
