"""Figures 4-5: what one tool call costs, and what 50 concurrent calls cost.

Per call (4a, 4b), the reference is the same HTTP request made directly with
aiohttp; the bare SDK server answering a result of the same size is timed
beside it, as a fact (the part of the overhead any server on this SDK has).
Under concurrency (5a), the reference is the physical floor of the work: the
bare SDK server (:mod:`bench.floor`) answering a result of the same size, plus
an aiohttp client in a process of its own (:mod:`bench.direct_proc`) making the
same API request and decoding its answer. CPU time is read from
``/proc/<pid>/stat`` of each process around each round, the rounds of the three
interleaved. 5b counts token refreshes; 5c shows the direct client's throughput
for context.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

from bench.direct_proc import DirectProcess
from bench.figures import Fact, Figure, Kind, Limit
from bench.measure_process import FLOOR, SERVER, floor_env, timed
from bench.sandbox_proc import Direct
from bench.stdio import StdioPeer, expect_success

__all__ = ["CONCURRENT", "concurrency", "per_call"]

CONCURRENT = 50


async def per_call(reps: int, env: dict[str, str], url: str, entity: str, invoice: str) -> list[Figure]:
    """4a and 4b against the same request made directly; beside them, as facts, the bare SDK server
    answering a result of the same size over stdio (what any server on this SDK takes to answer it)."""
    peer = await StdioPeer.spawn(SERVER, env)
    floor = await StdioPeer.spawn(FLOOR, floor_env())
    direct = Direct(url)
    figures = []
    try:
        await peer.initialize()
        await floor.initialize()
        expect_success(await peer.call("login", {}), "login")
        await direct.login()
        cases: list[tuple[str, str, Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = [
            (
                "4a",
                "list_invoices, one page of 50",
                lambda: peer.call("list_invoices", {"entity_id": entity, "page_size": 50}),
                lambda: direct.get(f"/api/v1/entities/{entity}/invoices", page=1, page_size=50),
            ),
            (
                "4b",
                "get_invoice",
                lambda: peer.call("get_invoice", {"entity_id": entity, "invoice_id": invoice}),
                lambda: direct.get(f"/api/v1/entities/{entity}/invoices/{invoice}"),
            ),
        ]
        for figure_id, name, through_server, straight in cases:
            for _ in range(max(5, reps // 10)):  # warm both paths: imports, connections, caches
                expect_success(await through_server(), name)
                await straight()
            sample = await through_server()
            await floor.call("echo", {"text": sample["content"][0]["text"]})
            ours, theirs, bare = [], [], []
            for _ in range(reps):
                theirs.append(await timed(straight))
                ours.append(await timed(through_server))
                bare.append(await timed(lambda: floor.call("repeat", {})))
            overhead = (statistics.median(ours) - statistics.median(theirs)) * 1000
            answering = statistics.median(bare) * 1000
            figures.append(
                Figure(
                    figure_id,
                    name + " through the server",
                    "ms",
                    tuple(ours),
                    "the same request, aiohttp direct",
                    tuple(theirs),
                    limits=(Limit("overhead", overhead, Kind.AT_MOST, 1.5, "ms", 2),),
                    facts=(
                        Fact("the bare SDK server answering the same result", answering, "ms"),
                        Fact("overhead beyond that", overhead - answering, "ms"),
                    ),
                )
            )
    finally:
        await peer.close()
        await floor.close()
        await direct.close()
    return figures


async def _round(peer: StdioPeer, tool: str, arguments: dict[str, Any]) -> tuple[float, float, int]:
    """Seconds and server CPU seconds for CONCURRENT calls at once, and how many failed."""
    before = peer.cpu_seconds()
    started = asyncio.get_running_loop().time()
    results = await asyncio.gather(*(peer.call(tool, arguments) for _ in range(CONCURRENT)))
    elapsed = asyncio.get_running_loop().time() - started
    return elapsed, peer.cpu_seconds() - before, sum(bool(r.get("isError")) for r in results)


async def concurrency(reps: int, env: dict[str, str], url: str, entity: str) -> list[Figure]:
    """5a against its floor, the bare SDK server's CPU plus a direct aiohttp client's; 5b; 5c."""
    peer = await StdioPeer.spawn(SERVER, env)
    floor = await StdioPeer.spawn(FLOOR, floor_env())
    direct = Direct(url)
    client: DirectProcess | None = None
    arguments = {"entity_id": entity, "page_size": 50}
    try:
        await peer.initialize()
        await floor.initialize()
        expect_success(await peer.call("login", {}), "login")
        await direct.login()
        path, query = f"/api/v1/entities/{entity}/invoices", {"page": 1, "page_size": 50}
        client = await DirectProcess.start(url, path, query, direct.headers, floor_env())
        sample = await peer.call("list_invoices", arguments)
        ours_bytes = peer.last_line_bytes
        expect_success(sample, "list_invoices")
        await floor.call("echo", {"text": sample["content"][0]["text"]})
        await floor.call("repeat", {})
        bare_bytes = floor.last_line_bytes
        await _round(peer, "list_invoices", arguments)  # warm all three
        await _round(floor, "repeat", {})
        await client.round(CONCURRENT)
        ours, floors, throughput, bare_throughput, straight = [], [], [], [], []
        ours_cpu = bare_cpu = client_cpu = 0.0
        errors = 0
        for _ in range(reps):  # interleaved, so that a noisy moment hits all three
            elapsed, bare, _failed = await _round(floor, "repeat", {})
            bare_throughput.append(CONCURRENT / elapsed)
            seconds, by_client, failed_direct = await client.round(CONCURRENT)
            straight.append(CONCURRENT / seconds)
            elapsed, cpu, failed = await _round(peer, "list_invoices", arguments)
            throughput.append(CONCURRENT / elapsed)
            ours.append(cpu / CONCURRENT)
            floors.append((bare + by_client) / CONCURRENT)
            ours_cpu, bare_cpu, client_cpu = ours_cpu + cpu, bare_cpu + bare, client_cpu + by_client
            errors += failed + failed_direct
        calls = reps * CONCURRENT
        ours_ms, bare_ms, client_ms = (cpu / calls * 1000 for cpu in (ours_cpu, bare_cpu, client_cpu))
        floor_ms = bare_ms + client_ms
        cpu_ratio = ours_ms / floor_ms if floor_ms else float("inf")
        refresh = await _refresh_after_expiry(peer, direct, arguments)
    finally:
        await peer.close()
        await floor.close()
        await direct.close()
        if client is not None:
            await client.close()
    median = statistics.median(throughput)
    return [
        Figure(
            "5a",
            f"{CONCURRENT} concurrent list_invoices, server CPU per call",
            "ms",
            tuple(ours),
            "floor: the bare SDK server answering a result of the same size + an aiohttp client making "
            "the same request (its own process)",
            tuple(floors),
            limits=(
                Limit("server CPU per call", cpu_ratio, Kind.AT_MOST, 1.3, "x floor", 2),
                Limit("errors", float(errors), Kind.EXACTLY, 0),
            ),
            facts=(
                Fact("server CPU", ours_ms, "ms/call"),
                Fact("floor", floor_ms, "ms/call"),
                Fact("bare SDK server", bare_ms, "ms/call"),
                Fact("aiohttp client", client_ms, "ms/call"),
                Fact("throughput", median / statistics.median(bare_throughput), "x bare server"),
                Fact("result", ours_bytes, "bytes", 0),
                Fact("bare result", bare_bytes, "bytes", 0),
            ),
        ),
        refresh,
        Figure(
            "5c",
            f"context for 5a: the same {CONCURRENT} requests straight to the API with aiohttp, throughput",
            "calls/s",
            tuple(straight),
            "5a through the server",
            tuple(throughput),
            facts=(Fact("5a", median / statistics.median(straight), "x direct"),),
        ),
    ]


async def _refresh_after_expiry(peer: StdioPeer, direct: Direct, arguments: dict[str, Any]) -> Figure:
    before = (await direct.control("GET", "stats"))["counts"].get("auth.refresh", 0)
    await direct.control("POST", "expire-tokens")
    results = await asyncio.gather(*(peer.call("list_invoices", arguments) for _ in range(CONCURRENT)))
    after = (await direct.control("GET", "stats"))["counts"].get("auth.refresh", 0)
    failures = sum(bool(r.get("isError")) for r in results)
    return Figure(
        "5b",
        f"refresh requests for {CONCURRENT} concurrent calls after expiry",
        "requests",
        (float(after - before),),
        limits=(
            Limit("refreshes", float(after - before), Kind.EXACTLY, 1),
            Limit("errors", float(failures), Kind.EXACTLY, 0),
        ),
    )
