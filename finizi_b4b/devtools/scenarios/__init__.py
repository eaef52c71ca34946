"""Scripted client sessions: the demo prints them, the benchmark times them, cassettes record them.

- :mod:`~finizi_b4b.devtools.scenarios.runner`: steps, outcomes, and playing them through any MCP client.
- :mod:`~finizi_b4b.devtools.scenarios.sessions`: the ``full``, ``expiry`` and ``failures`` sessions
  (:mod:`~finizi_b4b.devtools.scenarios.books`: what ``full`` checks of the books).

``finizi-b4b demo --scenario NAME`` prints a session, ``--record FILE`` makes it
a cassette (``make cassettes``), and the benchmark's "every tool" figure runs
``full`` through its own raw client::

    run = await play(rpc_caller(peer.call), "full")
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from finizi_b4b.devtools.scenarios.runner import (
    CallTool,
    Context,
    ScenarioRun,
    StepOutcome,
    mcp_caller,
    money,
    rpc_caller,
    run_steps,
)
from finizi_b4b.devtools.scenarios.sessions import SCENARIOS, WRONG_PASSWORD

# What the demo, the benchmark and the tests use; steps and the rest are in .runner and .sessions.
__all__ = [
    "SCENARIOS",
    "WRONG_PASSWORD",
    "ScenarioRun",
    "StepOutcome",
    "mcp_caller",
    "money",
    "play",
    "rpc_caller",
]


async def play(
    call: CallTool,
    scenario: str,
    *,
    sandbox: Any = None,
    on_step: Callable[[StepOutcome], None] | None = None,
) -> ScenarioRun:
    """Run a named scenario in a fresh working folder (for the files it imports)."""
    with tempfile.TemporaryDirectory(prefix="finizi-b4b-scenario-") as workdir:
        return await run_steps(call, SCENARIOS[scenario], Context(Path(workdir), sandbox), on_step)
