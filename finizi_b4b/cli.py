"""The ``finizi-b4b`` command.

``finizi-b4b`` alone (or ``finizi-b4b serve``) runs the stdio MCP server, which
is what a desktop client spawns; it imports only what the handshake needs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap

from finizi_b4b import __version__

__all__ = ["main"]

COMMANDS = ("serve", "sandbox", "demo", "check-schemas", "replay")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Every setting the server reads from the environment (config.py and --log-level's fallback).
ENVIRONMENT = (
    ("FINIZI_API_URL", "the Finizi API's address (default {api_url})"),
    ("FINIZI_PHONE", "the phone number the server signs in with by itself"),
    ("FINIZI_PASSWORD", "the password that goes with FINIZI_PHONE"),
    ("FINIZI_B4B_READ_ONLY", "1, true, yes or on: read-only mode (as --read-only)"),
    (
        "FINIZI_B4B_TOOLSETS",
        "the toolsets served, comma-separated (as --toolsets): core, invoices, reports, registry, "
        "payments, or all (default core,invoices,reports,registry; core always)",
    ),
    (
        "FINIZI_B4B_LOCKDOWN",
        "1, true, yes or on: withhold free text written by third parties unless asked for (as --lockdown)",
    ),
    (
        "FINIZI_B4B_CONFIRM_WRITES",
        "off to stop asking the user before each write, where the client can ask (default on)",
    ),
    ("FINIZI_B4B_RECORD", "record every tool call to this file (as --record)"),
    ("FINIZI_B4B_LOG_LEVEL", "DEBUG, INFO (default), WARNING or ERROR (as --log-level)"),
    ("FINIZI_B4B_TIMEOUT", "seconds to wait for an API answer (default 30)"),
    ("FINIZI_B4B_CALL_DEADLINE", "seconds for one tool call, retries included (default 3 x the timeout + 1)"),
)


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps paragraphs as argparse does, but keeps an indented block (the environment list) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = text.split("\n\n")
        return "\n\n".join(
            "\n".join(indent + line for line in block.splitlines())
            if block.splitlines()[-1].startswith("  ")
            else super(_HelpFormatter, self)._fill_text(block, width, indent)
            for block in blocks
        )


def _environment_help() -> str:
    from finizi_b4b.config import DEFAULT_API_URL

    width = max(len(name) for name, _ in ENVIRONMENT) + 4
    lines = ['environment (in a client\'s configuration, its "env" block):']
    for name, words in ENVIRONMENT:
        wrapped = textwrap.wrap(words.format(api_url=DEFAULT_API_URL), 79 - width, break_on_hyphens=False)
        lines.append(f"  {name:<{width - 2}}{wrapped[0]}")
        lines.extend(" " * width + more for more in wrapped[1:])
    return "\n".join(lines)


def setup_logging(level: str) -> None:
    """Logs go to stderr only: stdout belongs to the protocol. ``level`` is one of ``LOG_LEVELS``."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format=LOG_FORMAT)
    logging.getLogger("finizi_b4b").setLevel(level)


def _log_level(args: argparse.Namespace, default: str | None = None) -> str:
    """The chosen log level: ``--log-level``, else ``default``, else FINIZI_B4B_LOG_LEVEL, else INFO."""
    from finizi_b4b.config import log_level

    if args.log_level is not None:
        return log_level(args.log_level)
    if default is not None:
        return default
    env = os.environ.get("FINIZI_B4B_LOG_LEVEL", "").strip()
    return log_level(env, source="FINIZI_B4B_LOG_LEVEL") if env else "INFO"


def _add_log_level(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="how much to log on stderr: DEBUG, INFO, WARNING or ERROR "
        "(default INFO, or FINIZI_B4B_LOG_LEVEL)",
    )


def _serve(args: argparse.Namespace) -> int:
    setup_logging(_log_level(args))
    from finizi_b4b.server import run

    return run(
        sandbox=args.sandbox,
        record=args.record,
        read_only=args.read_only,
        toolsets=args.toolsets,
        lockdown=args.lockdown,
    )


def _demo(args: argparse.Namespace) -> int:
    setup_logging(_log_level(args, "WARNING"))
    from finizi_b4b.devtools.demo import run_demo

    return run_demo(scenario=args.scenario, record=args.record, verbose=args.verbose)


def _check_schemas(args: argparse.Namespace) -> int:
    from finizi_b4b.checks import run_check_schemas

    return run_check_schemas(args.path, update_snapshot=args.update_snapshot, inspector=args.inspector)


def _replay(args: argparse.Namespace) -> int:
    setup_logging(_log_level(args, "WARNING"))
    from finizi_b4b.cassette import run_replay
    from finizi_b4b.server import build_server

    return run_replay(args.cassettes, make_server=build_server, against=args.against)


def build_parser() -> argparse.ArgumentParser:
    environment = _environment_help()
    parser = argparse.ArgumentParser(
        prog="finizi-b4b",
        description="A Model Context Protocol server for the Finizi B4B e-invoicing and accounting API. "
        "With no command it runs the stdio server, which is what a desktop client starts.",
        epilog=f"'finizi-b4b COMMAND --help' describes a command.\n\n{environment}",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the MCP server over stdio (the default)",
        description="Run the MCP server over stdio. Logs go to stderr; stdout carries the protocol.",
        epilog=environment,
        formatter_class=_HelpFormatter,
    )
    serve.add_argument(
        "--sandbox",
        action="store_true",
        help="start the embedded sandbox API on a free loopback port and use it (demo data, no account)",
    )
    serve.add_argument(
        "--record",
        metavar="FILE",
        help="append every tool call, with its HTTP exchanges, to this cassette (or FINIZI_B4B_RECORD)",
    )
    serve.add_argument(
        "--read-only",
        action="store_true",
        help="offer only the tools that read data (or FINIZI_B4B_READ_ONLY=1); the write tools are "
        "neither listed nor run",
    )
    serve.add_argument(
        "--toolsets",
        metavar="NAMES",
        help="the toolsets to serve, comma-separated: core, invoices, reports, registry, payments, or all "
        "(or FINIZI_B4B_TOOLSETS; default core,invoices,reports,registry)",
    )
    serve.add_argument(
        "--lockdown",
        action="store_true",
        help="withhold free text written by third parties (notes, line descriptions) unless a tool "
        "argument asks for it (or FINIZI_B4B_LOCKDOWN=1)",
    )
    _add_log_level(serve)
    serve.set_defaults(func=_serve)

    from finizi_b4b.sandbox import cli as sandbox_cli

    sandbox_cli.add_parser(sub)

    demo = sub.add_parser(
        "demo",
        help="run a scripted client session through all tools against the sandbox",
        description="Start the embedded sandbox and the server (as a subprocess over stdio), then run a "
        "scripted client session through every tool, printing each call and a short result. "
        "Exits 0 when everything went as expected.",
    )
    demo.add_argument(
        "--scenario",
        choices=["full", "expiry", "failures"],
        default="full",
        help="full: every tool (default); expiry: the token expires mid-session; failures: error cases",
    )
    demo.add_argument("--record", metavar="FILE", help="record the server's tool calls to this cassette")
    demo.add_argument("-v", "--verbose", action="store_true", help="also print the server's log")
    _add_log_level(demo)
    demo.set_defaults(func=_demo)

    check = sub.add_parser(
        "check-schemas",
        help="check the tool definitions under schemas/ (for CI)",
        description="Check every tool definition: JSON, MCP validity, JSON Schema 2020-12, descriptions, "
        "annotations, registry agreement, examples and case files, the tools/list snapshot, portability "
        "and size. Prints one line per problem and exits 1 if there is any.",
    )
    check.add_argument("path", nargs="?", help="the schemas folder to check (default: the project's)")
    check.add_argument(
        "--update-snapshot",
        action="store_true",
        help="rewrite tests/snapshots/tools-list.json from what the server serves",
    )
    check.add_argument(
        "--inspector",
        action="store_true",
        help="also run the MCP Inspector CLI (npx) with tools/list --strict",
    )
    check.set_defaults(func=_check_schemas)

    replay = sub.add_parser(
        "replay",
        help="replay recorded tool calls and report differences",
        description="Run each recorded call again through the real router, handlers and session logic, "
        "answering HTTP from the cassette, and compare results. Exit 0 only if every call matches.",
    )
    replay.add_argument("cassettes", nargs="+", metavar="FILE", help="cassette files (JSON lines)")
    replay.add_argument("--against", metavar="URL", help="send the calls to this live API instead")
    _add_log_level(replay)
    replay.set_defaults(func=_replay)
    return parser


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each command's own parser, so that a usage error shows the usage of the command it is about."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        parser.error(f"unknown command {argv[0]!r}; the commands are {', '.join(COMMANDS)}")
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]  # `finizi-b4b` and `finizi-b4b --sandbox` mean serve
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _commands(parser)[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    from finizi_b4b.config import ConfigError

    try:
        return int(args.func(args))
    except ConfigError as exc:  # one line, and nothing started
        print(f"finizi-b4b: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the command was under way (while importing)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
