"""``finizi-b4b sandbox``: serve the sandbox API from a shell.

Kept import-light: the web application is loaded only when the command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "sandbox",
        help="serve the embedded sandbox B4B API (demo data, in memory)",
        description="Serve a stand-in for the Finizi B4B API with deterministic demo data, in memory "
        "(a restart resets it). Prints 'Sandbox listening on http://HOST:PORT', then the demo "
        "credentials, and runs until Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback)")
    parser.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="access token lifetime in seconds (default: 900)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the demo data (default: 0)")
    parser.add_argument(
        "--control",
        action="store_true",
        help="enable the /_sandbox control endpoints (fault injection, stats, token expiry); loopback only",
    )
    parser.add_argument(
        "--int-ids",
        action="store_true",
        help="serve vendors, products and invoices with integer ids, as older backend records have",
    )
    parser.add_argument(
        "--alt-shapes",
        action="store_true",
        help="serve the documented alternative answer shapes (older vendor search, error bodies, ...)",
    )
    parser.add_argument(
        "--minimal",
        action="store_true",
        help="answer with only what the real API is known to send (no list totals, lean items, ...)",
    )
    parser.set_defaults(func=run)
    return parser


async def _serve(args: argparse.Namespace) -> None:
    from finizi_b4b.sandbox.data import DEMO_ACCOUNTANT, DEMO_ADMIN
    from finizi_b4b.sandbox.server import Sandbox

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Sandbox(
        args.host,
        args.port,
        token_ttl=args.token_ttl,
        seed=args.seed,
        control=args.control,
        int_ids=args.int_ids,
        alt_shapes=args.alt_shapes,
        minimal=args.minimal,
    ) as box:
        print(f"Sandbox listening on {box.url}", flush=True)
        local = "0" + DEMO_ADMIN.phone[3:]
        print(f"  administrator: phone {DEMO_ADMIN.phone} (or {local}), password {DEMO_ADMIN.password}")
        print(f"  accountant:    phone {DEMO_ACCOUNTANT.phone}, password {DEMO_ACCOUNTANT.password}")
        print(f"  API base: {box.url}/api/v1  (FINIZI_API_URL={box.url})", flush=True)
        if args.minimal:
            print("  minimal mode: answers hold only what the real API is known to send", flush=True)
        if args.control:
            print(
                f"  control endpoints: {box.url}/_sandbox/{{faults,stats,expire-tokens,audit,seen,jobs}}",
                flush=True,
            )
        await stop.wait()


def run(args: argparse.Namespace) -> int:
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: binding to {args.host}, not loopback; the demo accounts are public", file=sys.stderr)
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(
            f"finizi-b4b sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    return 0
