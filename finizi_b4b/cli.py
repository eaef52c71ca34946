"""The ``finizi-b4b`` command.

``finizi-b4b`` alone (or ``finizi-b4b serve``) runs the stdio MCP server, which
is what a desktop client spawns; it imports only what the handshake needs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from finizi_b4b import __version__

__all__ = ["main"]

COMMANDS = ("serve", "sandbox", "demo", "check-schemas", "replay")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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

    return run(sandbox=args.sandbox, record=args.record, read_only=args.read_only)


def _demo(args: argparse.Namespace) -> int:
    setup_logging(_log_level(args, "WARNING"))
    from finizi_b4b.demo import run_demo

    return run_demo(scenario=args.scenario, record=args.record, verbose=args.verbose)


def _check_schemas(args: argparse.Namespace) -> int:
    from finizi_b4b.checks import run_check_schemas

    return run_check_schemas(args.path, update_snapshot=args.update_snapshot, inspector=args.inspector)


def _replay(args: argparse.Namespace) -> int:
    setup_logging(_log_level(args, "WARNING"))
    from finizi_b4b.cassette import run_replay

    return run_replay(args.cassettes, against=args.against)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finizi-b4b",
        description="A Model Context Protocol server for the Finizi B4B e-invoicing and accounting API. "
        "With no command it runs the stdio server, which is what a desktop client starts.",
        epilog="Environment: FINIZI_API_URL (default https://admin.finizi.ai), FINIZI_PHONE and "
        "FINIZI_PASSWORD (the server signs in with them by itself), FINIZI_B4B_READ_ONLY, FINIZI_B4B_RECORD, "
        "FINIZI_B4B_LOG_LEVEL, FINIZI_B4B_TIMEOUT.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the MCP server over stdio (the default)",
        description="Run the MCP server over stdio. Logs go to stderr; stdout carries the protocol.",
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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")  # `finizi-b4b` and `finizi-b4b --sandbox` mean serve
    args = build_parser().parse_args(argv)
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
