"""`earpiece agent`: a headless phone line that answers calls itself from a knowledge base.

    EARPIECE_SECRET_SIP_SUPPORT=... earpiece agent --account support --transfer-to 200
    earpiece agent --username bot --domain pbx.example.com --kb sample --sip-port 0

The account comes from the settings (`--account ID`) or from the command line (`--username` and
`--domain`); its password from the keyring (`sip:<id>`) or `EARPIECE_SECRET_SIP_<ID>`. One JSON
record per call goes to `--calls-dir` (default: the data folder's `calls/`). SIGTERM or Ctrl+C ends
it cleanly: calls in progress hear a goodbye and are hung up, then the account is unregistered.

With `--supervise` the agent runs as a child of a small supervisor that starts it again when it
dies (calls in progress then get a `lost_in_crash` record); see packaging/systemd/ for a unit.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from earpiece.core.calls.memory import limit_malloc_arenas
from earpiece.core.secrets import SecretMissingError, SecretStoreUnavailableError, get_secret
from earpiece.core.settings import AccountSettings, CallMode, Settings, Transport, load_settings

if TYPE_CHECKING:
    from earpiece.sip.config import EngineConfig as SipConfig

EXIT_USAGE = 2
EXIT_FAILED = 1


class _UsageError(Exception):
    pass


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "agent",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    who = parser.add_argument_group("account")
    who.add_argument("--account", metavar="ID", help="an account of the settings (or the id of the one "
                     "given by --username/--domain; its password is the secret sip:<ID>)")
    who.add_argument("--username", help="SIP user name (defines the account on the command line)")
    who.add_argument("--domain", help="SIP domain, host[:port]")
    who.add_argument("--registrar", default="", help="registrar URI (default: sip:<domain>)")
    who.add_argument("--proxy", default="", help="outbound proxy URI")
    who.add_argument("--transport", choices=[t.value for t in Transport], default="udp")
    who.add_argument("--display-name", default="Earpiece")
    answering = parser.add_argument_group("answering")
    answering.add_argument("--kb", metavar="NAME", help="knowledge base (default: knowledge.default_kb; "
                           "'sample' is ingested from the bundled files if absent)")
    answering.add_argument("--transfer-to", metavar="DEST",
                           help="where a caller who asks for a person is transferred (number or SIP URI; "
                           "default: the account's handover_uri)")
    answering.add_argument("--max-calls", type=int, metavar="N",
                           help="simultaneous calls, more get 486 Busy (default and most: what one process "
                           "can hold, 4)")
    answering.add_argument("--answer-delay", type=float, default=0.0, metavar="S", help="ring first")
    answering.add_argument("--greeting", help="what the agent says when it answers")
    answering.add_argument("--calls-dir", type=Path, help="folder for the per-call JSON records")
    answering.add_argument("--shutdown-grace", type=float, metavar="S",
                           help="on SIGTERM, let a reply being spoken finish within this many seconds "
                           "(default: calls.shutdown_grace_s of the settings)")
    answering.add_argument("--ack-timeout", type=float, metavar="S",
                           help="end an answered call whose ACK has not come after S seconds (0 = never; "
                           "default: sip.ack_timeout_s of the settings)")
    answering.add_argument("--media-timeout", type=float, metavar="S",
                           help="end a call with no incoming audio for S seconds, hold aside (0 = never; "
                           "default: sip.media_timeout_s of the settings)")
    answering.add_argument("--supervise", action="store_true",
                           help="run under a supervisor that replaces the agent when it dies; a second "
                           "agent waits as a warm spare (twice the memory) unless --no-standby")
    answering.add_argument("--no-standby", action="store_true",
                           help="with --supervise: no warm spare (a crash then costs a cold start)")
    answering.add_argument("--standby", action="store_true", help=argparse.SUPPRESS)
    network = parser.add_argument_group("network")
    network.add_argument("--bind", metavar="ADDR", help="local address (default: sip.bind_address)")
    network.add_argument("--sip-port", type=int, metavar="N",
                         help="UDP and TCP port (default: sip.udp_port; 0 = any free port)")
    parser.set_defaults(func=run, agent_parser=parser)


def run(args: argparse.Namespace) -> int:
    if args.supervise:
        return supervise(args)
    from earpiece.headless.agent import AgentError, AgentOptions, AnsweringAgent
    from earpiece.sip.config import MAX_CALLS_PER_PROCESS
    from earpiece.sip.engine import SipError

    settings = load_settings()
    try:
        account = choose_account(settings, args)
        password = get_secret(f"sip:{account.id}")
    except (_UsageError, SecretMissingError, SecretStoreUnavailableError) as exc:
        print(f"earpiece agent: {exc}", file=sys.stderr)
        return EXIT_USAGE
    max_calls = MAX_CALLS_PER_PROCESS if args.max_calls is None else args.max_calls
    if not 1 <= max_calls <= MAX_CALLS_PER_PROCESS:
        print(f"earpiece agent: --max-calls must be 1 to {MAX_CALLS_PER_PROCESS} (one process holds at most "
              f"{MAX_CALLS_PER_PROCESS} calls; run more agents for more lines)", file=sys.stderr)
        return EXIT_USAGE
    if any(t is not None and t < 0 for t in (args.ack_timeout, args.media_timeout)):
        print("earpiece agent: --ack-timeout and --media-timeout must be 0 (never) or more", file=sys.stderr)
        return EXIT_USAGE
    if args.shutdown_grace is not None:
        if args.shutdown_grace < 0:
            print("earpiece agent: --shutdown-grace must be 0 or more", file=sys.stderr)
            return EXIT_USAGE
        calls = settings.calls.model_copy(update={"shutdown_grace_s": args.shutdown_grace})
        settings = settings.model_copy(update={"calls": calls})
    options = AgentOptions(
        account=account,
        kb_name=args.kb,
        transfer_to=account.handover_uri if args.transfer_to is None else args.transfer_to,
        max_calls=max_calls,
        answer_delay_s=args.answer_delay,
        calls_dir=args.calls_dir,
        greeting=args.greeting,
        standby=args.standby,
    )
    limit_malloc_arenas()  # before the event loop's threads, the models and the recognition workers
    agent = AnsweringAgent(settings, options, sip_config=sip_config(settings, args), password=password)
    try:
        asyncio.run(agent.run())
    except (AgentError, SipError) as exc:
        print(f"earpiece agent: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def choose_account(settings: Settings, args: argparse.Namespace) -> AccountSettings:
    if args.username or args.domain:
        if not (args.username and args.domain):
            raise _UsageError("--username and --domain go together")
        return AccountSettings(
            id=args.account or args.username,
            username=args.username,
            domain=args.domain,
            registrar=args.registrar,
            proxy=args.proxy,
            transport=Transport(args.transport),
            display_name=args.display_name,
            default_mode=CallMode.AUTONOMOUS,
            handover_uri=args.transfer_to or "",
        )
    accounts = settings.sip.accounts
    if args.account:
        for account in accounts:
            if account.id == args.account:
                return account
        known = ", ".join(a.id for a in accounts) or "none"
        raise _UsageError(f"no account {args.account!r} in the settings (known: {known})")
    autonomous = [a for a in accounts if a.default_mode is CallMode.AUTONOMOUS]
    if len(autonomous) == 1:
        return autonomous[0]
    if len(accounts) == 1:
        return accounts[0]
    raise _UsageError("choose the account with --account ID, or give --username and --domain")


def sip_config(settings: Settings, args: argparse.Namespace) -> SipConfig:
    """The engine options from the settings, with the command line's network overrides and no headset."""
    from earpiece.sip.config import EngineConfig as SipConfig

    config = SipConfig.from_settings(settings)
    changes: dict[str, object] = {"input_device": "none", "output_device": "none"}
    if args.ack_timeout is not None:
        changes["ack_timeout_s"] = args.ack_timeout or None
    if args.media_timeout is not None:
        changes["media_timeout_s"] = args.media_timeout or None
    if args.bind:
        changes["bind_address"] = args.bind
    if args.sip_port is not None:
        changes["udp_port"] = args.sip_port
        if config.tcp_port is not None:
            changes["tcp_port"] = args.sip_port
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def supervise(args: argparse.Namespace) -> int:
    """Run this same command without `--supervise` as a child, restarted when it dies. A port of 0
    ("any") is chosen once here, so every restarted agent keeps the Contact the registrar knows."""
    from earpiece.core.paths import data_dir
    from earpiece.headless.supervisor import Supervisor

    settings = load_settings()
    port = args.sip_port if args.sip_port is not None else settings.sip.udp_port
    if port == 0:
        args.sip_port = _free_port(args.bind or settings.sip.bind_address)
    frozen = getattr(sys, "frozen", False)  # the PyInstaller bundle: its binary is the CLI itself
    argv = [sys.executable, *([] if frozen else ["-m", "earpiece"]), *child_argv(args)]
    calls = args.calls_dir or data_dir() / "calls"  # = core.engine.calls_dir(), without loading the engine
    def announce(line: str) -> None:
        print(line, flush=True)

    return Supervisor(argv, calls, standby=not args.no_standby, announce=announce).run()


def child_argv(args: argparse.Namespace) -> list[str]:
    """The `earpiece ... agent ...` arguments that give `args` again, without `--supervise`."""
    argv = ["--log-level", args.log_level] if args.log_level else []
    argv.append("agent")
    parser: argparse.ArgumentParser = args.agent_parser
    for action in parser._actions:
        value = getattr(args, action.dest, None)
        supervisor_only = action.dest in ("help", "supervise", "no_standby", "standby")
        if not action.option_strings or supervisor_only or value == action.default:
            continue
        if isinstance(action, argparse._StoreTrueAction):
            argv.append(action.option_strings[0])
        else:
            argv += [action.option_strings[0], str(value)]
    return argv


def _free_port(bind: str) -> int:
    import socket

    host = "" if bind in ("", "0.0.0.0") else bind
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
            udp.bind((host, 0))
            port: int = udp.getsockname()[1]
            try:
                tcp.bind((host, port))  # the agent listens on UDP and TCP with the same number
            except OSError:
                continue
            return port
    raise OSError("no free port for both UDP and TCP")
