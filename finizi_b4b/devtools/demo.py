"""``finizi-b4b demo``: the sandbox, the server over stdio, and a scripted client session.

The sessions themselves live in :mod:`finizi_b4b.devtools.scenarios`; this module starts
the sandbox and the server, plays one scenario through a real stdio client,
and prints each call with its full arguments and a short result. It is also
how the committed cassettes are recorded
(``finizi-b4b demo --scenario NAME --record FILE``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from finizi_b4b import __version__
from finizi_b4b.devtools.scenarios import ScenarioRun, StepOutcome, mcp_caller, play

__all__ = ["connect_hint", "run_demo"]


def _server_env(sandbox: Any, record: str | None) -> dict[str, str]:
    from finizi_b4b.sandbox import DEMO_ADMIN

    env = {
        "FINIZI_API_URL": sandbox.url,
        "FINIZI_PHONE": DEMO_ADMIN.phone,
        "FINIZI_PASSWORD": DEMO_ADMIN.password,
        "FINIZI_B4B_LOG_LEVEL": "INFO",
    }
    if record:
        env["FINIZI_B4B_RECORD"] = str(Path(record).resolve())
    for key in ("PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _step_lines(outcome: StepOutcome) -> list[str]:
    call = f"{outcome.number:3}. {outcome.tool} {json.dumps(outcome.arguments, ensure_ascii=False)}"
    lines = [call]
    if outcome.note:
        lines.append(f"     ({outcome.note})")
    lines.append(f"     {'->' if outcome.good else 'BAD'} {outcome.summary}")
    return lines


REPOSITORY = "https://github.com/finizi-ai/finizi-b4b"


def _checkout() -> bool:
    """Whether this package runs from a checkout of the repository (where `make bundle` works)."""
    top = Path(__file__).resolve().parents[2]
    return (top / "Makefile").is_file() and (top / "bundle" / "build.py").is_file()


def connect_hint() -> str:
    """How to use the server from a desktop client, as the demo's last words."""
    beside = Path(sys.executable).with_name("finizi-b4b")  # the command of this very installation
    installed = str(beside) if beside.exists() else shutil.which("finizi-b4b") or "finizi-b4b"
    server = {"command": installed, "args": ["serve", "--sandbox"]}
    if _checkout():
        bundle = [
            "Connect a desktop client: run `make bundle` and open dist/finizi-b4b-<version>.mcpb with",
            "Claude Desktop (it asks for your Finizi phone number and password), or add this to",
        ]
        readme = [
            "never type the password into the chat. README.md (Connect a client) has the file's place on",
            "each system and the settings of Claude Code, Cursor and VS Code.",
        ]
    else:
        bundle = [
            f"Connect a desktop client: download finizi-b4b-{__version__}.mcpb from the releases page,",
            f"{REPOSITORY}/releases, and open it with Claude Desktop (it asks for",
            "your Finizi phone number and password), or add this to",
        ]
        readme = [
            "never type the password into the chat. The README has the file's place on each system and",
            f"the settings of Claude Code, Cursor and VS Code: {REPOSITORY}#connect-a-client",
        ]
    return "\n".join(
        [
            *bundle,
            "claude_desktop_config.json (Settings > Developer > Edit Config) to try it on the sandbox,",
            "then quit and restart the client:",
            "",
            '  {"mcpServers": {',
            f'    "finizi-b4b": {json.dumps(server)}',
            "  }}",
            "",
            'For your own account, drop --sandbox and set FINIZI_PHONE and FINIZI_PASSWORD under "env";',
            *readme,
        ]
    )


async def _run(scenario: str, record: str | None, out: Callable[[str], None], errlog: IO[str]) -> int:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    from finizi_b4b.sandbox import Sandbox

    def show(outcome: StepOutcome) -> None:
        for line in _step_lines(outcome):
            out(line)

    started = time.perf_counter()
    async with Sandbox(port=0) as sandbox:
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "finizi_b4b", "serve"], env=_server_env(sandbox, record)
        )
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            tools = await client.list_tools()
            out(
                f"finizi-b4b demo ({scenario}): sandbox API at {sandbox.url}; server over stdio, "
                f"protocol {client.protocol_version}, {len(tools.tools)} tools"
            )
            run: ScenarioRun = await play(mcp_caller(client), scenario, sandbox=sandbox, on_step=show)
    elapsed = time.perf_counter() - started
    verdict = "all as expected" if not run.failures else f"{run.failures} NOT as expected"
    out(f"{len(run.tools)} tools, {len(run.outcomes)} calls, {verdict}, in {elapsed:.1f} s")
    if scenario == "full":
        out("")
        out(connect_hint())
    return 1 if run.failures else 0


def run_demo(*, scenario: str = "full", record: str | None = None, verbose: bool = False) -> int:
    import anyio

    with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
        try:
            code = anyio.run(_run, scenario, record, lambda line: print(line, flush=True), errlog)
        except Exception as exc:  # the demo must explain itself, not dump a traceback group
            print(f"finizi-b4b demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = 1
        if code or verbose:
            errlog.seek(0)
            log = errlog.read().strip()
            if log:
                print("--- server log (stderr) ---\n" + log, file=sys.stderr)
    return code
