"""Figures 1-3: what a server process costs to start, to hold in memory, and to list its tools (3a with
the default toolsets, 3c with every one).

Each is compared with the floor (a bare low-level server of the same SDK with
one trivial tool), measured interleaved in the same run.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.figures import Check, Fact, Figure, Kind, Limit
from bench.sandbox_proc import ROOT
from bench.stdio import StdioPeer, child_env, time_to_initialize
from finizi_b4b.devtools.scenarios import SCENARIOS, play, rpc_caller
from finizi_b4b.schemas import TOOLS_LIST_BUDGET, TOOLS_LIST_BUDGET_ALL, load_definitions

__all__ = ["FLOOR", "SERVER", "floor_env", "memory", "startup", "timed", "tools_list"]

SERVER = [sys.executable, "-m", "finizi_b4b", "serve"]
FLOOR = [sys.executable, "-m", "bench.floor"]


def floor_env() -> dict[str, str]:
    return child_env({"PYTHONPATH": str(ROOT)})


async def timed(action: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def startup(reps: int, env: dict[str, str]) -> Figure:
    ours, floor = [], []
    for _ in range(reps):  # interleaved, so that a noisy moment hits both
        floor.append(await time_to_initialize(FLOOR, floor_env()))
        ours.append(await time_to_initialize(SERVER, env))
    ratio = statistics.median(ours) / statistics.median(floor)
    return Figure(
        "1",
        "spawn to initialize result (stdio)",
        "ms",
        tuple(ours),
        "bare low-level server, one tool",
        tuple(floor),
        limits=(Limit("ratio", ratio, Kind.AT_MOST, 1.10, "x"),),
    )


async def every_tool(peer: StdioPeer) -> None:
    """One call of each tool, as a user's session would make them: the demo's full scenario."""
    run = await play(rpc_caller(peer.call), "full")
    if run.failures:
        raise RuntimeError(f"the every-tool session went wrong: {[o for o in run.outcomes if not o.good]}")


async def _floor_peak(calls: int, env: dict[str, str]) -> float:
    """The floor's peak RSS in MiB after ``calls`` echo calls."""
    peer = await StdioPeer.spawn(FLOOR, env)
    await peer.initialize()
    await peer.request("tools/list")
    for number in range(calls):
        await peer.call("echo", {"text": f"call {number}"})
    peak = peer.peak_rss_kib() / 1024
    await peer.close()
    return peak


async def memory(reps: int, env: dict[str, str]) -> Figure:
    """Figure 2 against the bare server; beside it, as a fact, the bare server that has also made one
    request with aiohttp (the HTTP client this server is built on): what any such server holds at least."""
    calls = len(SCENARIOS["full"])
    fetching = floor_env() | {"FLOOR_FETCH": env["FINIZI_API_URL"].rstrip("/") + "/api/v1/users/me"}
    ours, floor, with_aiohttp = [], [], []
    for _ in range(reps):
        floor.append(await _floor_peak(calls, floor_env()))
        with_aiohttp.append(await _floor_peak(calls, fetching))
        peer = await StdioPeer.spawn(SERVER, env)
        await peer.initialize()
        await peer.request("tools/list")
        await every_tool(peer)
        ours.append(peer.peak_rss_kib() / 1024)
        await peer.close()
    ratio = statistics.median(ours) / statistics.median(floor)
    return Figure(
        "2",
        "peak RSS after every tool",
        "MiB",
        tuple(ours),
        f"bare server after {calls} calls",
        tuple(floor),
        limits=(Limit("ratio", ratio, Kind.AT_MOST, 1.15, "x"),),
        facts=(
            Fact("above the floor", statistics.median(ours) - statistics.median(floor), "MiB", 1),
            Fact("the floor with an aiohttp request made", statistics.median(with_aiohttp), "MiB", 1),
            Fact(
                "that against the floor", statistics.median(with_aiohttp) / statistics.median(floor), "x", 3
            ),
        ),
    )


async def _listed(env: dict[str, str]) -> tuple[int, list[str]]:
    """The size of a server's tools/list result and the names it lists."""
    peer = await StdioPeer.spawn(SERVER, env)
    try:
        await peer.initialize()
        result = await peer.request("tools/list")
    finally:
        await peer.close()
    return _size_and_names(result)


def _size_and_names(result: dict[str, Any]) -> tuple[int, list[str]]:
    """The size of a tools/list result as compact UTF-8 JSON, and the names it lists."""
    size = len(json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode())
    return size, sorted(tool["name"] for tool in result["tools"])


def _size_figure(
    number: str, which: str, size: int, listed: list[str], defined: list[str], budget: int
) -> Figure:
    missing = sorted(set(defined) - set(listed))
    return Figure(
        number,
        f"tools/list result size, {which} ({len(listed)} tools, output schemas included)",
        "bytes",
        (float(size),),
        limits=(Limit("size", float(size), Kind.AT_MOST, budget, "bytes"),),
        checks=(
            Check(
                "every schema of its toolsets listed",
                listed == defined,
                f"listed {len(listed)} of the {len(defined)} tools of its toolsets; missing {missing}",
            ),
        ),
    )


async def tools_list(reps: int, env: dict[str, str]) -> list[Figure]:
    from finizi_b4b.config import DEFAULT_TOOLSETS
    from finizi_b4b.tools import TOOLS

    every = sorted(load_definitions())
    default = sorted(name for name in every if TOOLS[name].toolset in DEFAULT_TOOLSETS)
    size_all, listed_all = await _listed({**env, "FINIZI_B4B_TOOLSETS": "all"})
    peer = await StdioPeer.spawn(SERVER, env)  # the default toolsets: child_env passes no FINIZI_B4B_TOOLSETS
    floor = await StdioPeer.spawn(FLOOR, floor_env())
    try:
        await peer.initialize()
        await floor.initialize()
        size, listed = _size_and_names(await peer.request("tools/list"))
        ours, theirs = [], []
        for _ in range(reps):
            theirs.append(await timed(lambda: floor.request("tools/list")))
            ours.append(await timed(lambda: peer.request("tools/list")))
    finally:
        await peer.close()
        await floor.close()
    return [
        _size_figure("3a", "default toolsets", size, listed, default, TOOLS_LIST_BUDGET),
        Figure(
            "3b",
            "tools/list round trip (stdio)",
            "ms",
            tuple(ours),
            "bare server (1 tool)",
            tuple(theirs),
            limits=(Limit("median", statistics.median(ours) * 1000, Kind.AT_MOST, 5.0, "ms", 2),),
        ),
        _size_figure("3c", "every toolset", size_all, listed_all, every, TOOLS_LIST_BUDGET_ALL),
    ]
