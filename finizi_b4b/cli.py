"""The ``finizi-b4b`` command.

``finizi-b4b`` alone (or ``finizi-b4b serve``) runs the stdio MCP server, which
is what a desktop client spawns; it imports only what the handshake needs.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from finizi_b4b import __version__

__all__ = ["main"]

COMMANDS = ("serve", "sandbox", "demo", "check-schemas", "replay")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str | None) -> None:
    """Logs go to stderr only: stdout belongs to the protocol."""
    chosen = (level or os.environ.get("FINIZI_B4B_LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format=LOG_FORMAT)
    logging.getLogger("finizi_b4b").setLevel(chosen)


def _add_log_level(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="how much to log on stderr (default INFO, or FINIZI_B4B_LOG_LEVEL)",
    )


def _serve(args: argparse.Namespace) -> int:
    setup_logging(args.log_level)
    import anyio

    from finizi_b4b.config import Settings

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"finizi-b4b: {exc}", file=sys.stderr)
        return 2
    record = args.record or settings.record_path
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(_serve_async, settings, args.sandbox, record)
    return 0


async def _serve_async(settings: object, sandbox: bool, record: str | None) -> None:
    from contextlib import AsyncExitStack

    import attrs

    from finizi_b4b.runtime import default_transport
    from finizi_b4b.server import build_server, serve_stdio

    log = logging.getLogger("finizi_b4b")
    async with AsyncExitStack() as stack:
        if sandbox:
            from finizi_b4b.sandbox import DEMO_ADMIN, Sandbox

            box = await stack.enter_async_context(Sandbox(port=0))
            changes: dict[str, object] = {"api_url": box.url}
            if not settings.phone:  # type: ignore[attr-defined]
                changes.update(phone=DEMO_ADMIN.phone, password=DEMO_ADMIN.password)
            settings = attrs.evolve(settings, **changes)
            log.info("embedded sandbox API at %s (demo user %s)", box.url, DEMO_ADMIN.phone)
        transport_factory = default_transport
        router = None
        if record:
            from finizi_b4b.recording import Recorder

            recorder = stack.enter_context(Recorder.open(record))
            transport_factory = recorder.wrap_factory(default_transport)
            router = recorder.router()
            log.info("recording tool calls to %s", record)
        server = build_server(settings, transport_factory=transport_factory, router=router)  # type: ignore[arg-type]
        log.info("finizi-b4b %s serving on stdio; API %s", __version__, settings.api_url)  # type: ignore[attr-defined]
        await serve_stdio(server)


def _demo(args: argparse.Namespace) -> int:
    setup_logging(args.log_level or "WARNING")
    from finizi_b4b.demo import run_demo

    return run_demo(scenario=args.scenario, record=args.record, verbose=args.verbose)


def _check_schemas(args: argparse.Namespace) -> int:
    from finizi_b4b.checks import run_check_schemas

    return run_check_schemas(args.path, update_snapshot=args.update_snapshot, inspector=args.inspector)


def _replay(args: argparse.Namespace) -> int:
    setup_logging(args.log_level or "WARNING")
    from finizi_b4b.recording import run_replay

    return run_replay(args.cassettes, against=args.against)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finizi-b4b",
        description="A Model Context Protocol server for the Finizi B4B e-invoicing and accounting API. "
        "With no command it runs the stdio server, which is what a desktop client starts.",
        epilog="Environment: FINIZI_API_URL (default https://admin.finizi.ai), FINIZI_PHONE and "
        "FINIZI_PASSWORD (used by login with no arguments), FINIZI_B4B_RECORD, FINIZI_B4B_LOG_LEVEL, "
        "FINIZI_B4B_TIMEOUT.",
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
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
