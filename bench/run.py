"""Measure finizi-b4b against its references, side by side in one run, and hold the budgets.

References: a bare low-level server of the same SDK with trivial tools (the
floor) for start-up and memory; the same HTTP requests made directly with
aiohttp for per-call cost; for 50 concurrent calls, the physical floor of the
work (the bare server answering a result of the same size plus an aiohttp
client making the same request, each in its own process). Ratios are taken
within one run, since absolute times vary from machine to machine. The
sandbox runs in its own process, so that it competes with neither side. A
summary over thousands of invoices is held to linear memory and a responsive
server, and one that meets a slow API to its deadline. Accountants' questions
are costed in calls and bytes of result text, and their answers checked
against the seeded data.

The figures live in :mod:`bench.measure_process` (1-3),
:mod:`bench.measure_calls` (4-5), :mod:`bench.measure_scale` (7-8) and
:mod:`bench.measure_tasks` (the questions of :mod:`bench.questions`);
:mod:`bench.report` writes the tables.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from bench.figures import Figure
from bench.measure_calls import concurrency, per_call
from bench.measure_process import memory, startup, tools_list
from bench.measure_scale import deadline_figure, scale_figures
from bench.measure_tasks import task_costs
from bench.report import RunInfo, render, verdict
from bench.sandbox_proc import Direct, SandboxProcess

__all__ = ["RESULTS", "main", "run"]

RESULTS = Path(__file__).resolve().parent / "results.md"


async def run(args: argparse.Namespace) -> tuple[list[Figure], list[Figure], list[Figure]]:
    """The figures 1-5, the figures at scale (7-8), and the task-cost figures."""
    async with SandboxProcess(args.seed) as sandbox:
        env = sandbox.server_env()
        direct = Direct(sandbox.url)
        try:
            await direct.login()
            entities = await direct.get("/api/v1/users/me/entities", detailed="true")
            entity = max(entities, key=lambda e: e["invoice_count"])["id"]
            page = await direct.get(f"/api/v1/entities/{entity}/invoices", page_size=1)
            invoice = page["items"][0]["id"]
        finally:
            await direct.close()
        figures = [await startup(args.spawns, env)]
        figures.append(await memory(max(1, args.spawns // 5), env))
        figures += await tools_list(args.calls, env)
        figures += await per_call(args.calls, env, sandbox.url, entity, invoice)
        figures += await concurrency(args.rounds, env, sandbox.url, entity)
        scale = await scale_figures(sandbox, entity, tuple(args.scale))
        scale.append(await deadline_figure(sandbox))
    tasks = await task_costs(args.seed)
    return figures, scale, tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--spawns", type=int, default=21, help="server starts per side (default 21)")
    parser.add_argument("--calls", type=int, default=300, help="calls per per-call figure (default 300)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds of 50 concurrent calls (default 15)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sandbox's demo data (default 0)")
    parser.add_argument(
        "--scale",
        type=int,
        nargs=2,
        default=[4000, 20000],
        metavar=("SMALL", "LARGE"),
        help="invoices of the two summaries at scale (default 4000 20000; --quick: 200 1000)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"where to write the tables (default {RESULTS})"
    )
    parser.add_argument("--quick", action="store_true", help="one repetition of everything (a smoke run)")
    args = parser.parse_args(argv)
    if not 0 < args.scale[0] < args.scale[1]:
        parser.error("--scale takes two sizes, the smaller first")
    if args.quick:
        args.spawns, args.calls, args.rounds, args.scale = 1, 3, 1, [200, 1000]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    figures, scale, tasks = asyncio.run(run(args))
    info = RunInfo(
        args.spawns, args.calls, args.rounds, time.perf_counter() - started, load_before, os.getloadavg()[0]
    )
    text = render(figures, scale, tasks, info)
    print(text, end="")
    args.output.write_text(text, encoding="utf-8")
    print(f"(written to {args.output})", file=sys.stderr)
    met, held = verdict([*figures, *scale, *tasks])
    return 0 if met == held else 1
