"""Figures 7-8: a summary over thousands of invoices, and a summary that runs into the call's deadline.

7a, 7b: ``summarize_invoices`` grouped by vendor over an entity whose invoices
each have a currency and a vendor of their own (the worst case of the
grouping: as many groups and currencies as invoices), loaded into the
sandbox process with ``POST /_sandbox/synthetic-invoices``. Each size gets a
fresh server process over stdio, signed in and warmed up by the same summary of
the seeded entity; the call's time is measured through stdio, its server CPU
from ``/proc/<pid>/stat``, and its peak resident set from ``VmHWM`` after the
peak was reset (``clear_refs``) just before it. Meanwhile ``tools/list`` is
sent every 50 ms and the longest wait for its answer is kept.

Memory is held to linear growth: the call's RSS growth (its peak minus the
resident set just before it) per invoice at the larger size may be at most
:data:`GROWTH_SLACK` times the growth per invoice at the smaller one.

8: with ``FINIZI_B4B_CALL_DEADLINE`` at :data:`DEADLINE_S` seconds and every list
page answered after :data:`PAGE_DELAY_S` seconds (a sandbox fault with a delay),
the summary's answer must be the error saying it could not finish within the
time limit, and must arrive within the deadline plus :data:`DEADLINE_MARGIN_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import Any

import attrs

from bench.figures import Check, Fact, Figure, Kind, Limit
from bench.measure_process import SERVER
from bench.sandbox_proc import Direct, SandboxProcess
from bench.stdio import StdioPeer, ToolCallFailed, cpu_seconds, error_body, expect_success, result_text
from finizi_b4b.errors import ErrorCode

__all__ = [
    "ANSWER_BUDGET",
    "COUNTED",
    "DEADLINE_INVOICES",
    "DEADLINE_MARGIN_S",
    "DEADLINE_S",
    "GROWTH_SLACK",
    "PAGE_DELAY_S",
    "PING_BUDGET_S",
    "SCALE_DEADLINE_S",
    "ScaleRun",
    "deadline_figure",
    "new_entity",
    "scale_figure",
    "scale_figures",
    "summary_at_scale",
]

SCALE_DEADLINE_S = 900  # the call deadline for figure 7: 100 pages must never run into it
PING_BUDGET_S = 0.5
PING_EVERY_S = 0.05
GROWTH_SLACK = 1.25  # per-invoice RSS growth at the larger size, at most this times the smaller's
ANSWER_BUDGET = 8192  # bytes of result text: the answer stays small however many groups and currencies
DEADLINE_S = 3
PAGE_DELAY_S = 1.0
DEADLINE_MARGIN_S = 0.5
DEADLINE_INVOICES = 2000  # ten pages of 200: at a second a page, far more than the deadline allows
_BY_VENDOR = {"group_by": ["vendor"]}
COUNTED = "every invoice and currency counted"
_TAX_IDS = itertools.count(9_000_000_001)  # the new entities' tax ids: ten digits no seeded one has


async def new_entity(direct: Direct, count: int, currencies: str) -> str:
    """A new entity of the demo administrator's holding ``count`` synthetic invoices."""
    entity = await direct.post(
        "/api/v1/entities",
        {"name": f"Công ty Thử tải {count}", "tax_id": str(next(_TAX_IDS)), "address": "Hà Nội"},
    )
    await direct.control(
        "POST", "synthetic-invoices", {"entity": entity["id"], "count": count, "currencies": currencies}
    )
    return entity["id"]


async def _pinging(peer: StdioPeer, done: asyncio.Event) -> list[float]:
    """How long each ``tools/list`` sent while ``done`` is not set waited for its answer."""
    waits = []
    while not done.is_set():
        started = time.perf_counter()
        await peer.request("tools/list")  # bounded by the request's own timeout
        waits.append(time.perf_counter() - started)
        with contextlib.suppress(TimeoutError):  # the pause between two, cut short when the call ends
            await asyncio.wait_for(done.wait(), PING_EVERY_S)
    return waits


@attrs.define
class ScaleRun:
    """One summary at one size: what it cost and what it answered."""

    count: int
    seconds: float = 0.0
    cpu: float = 0.0
    sandbox_cpu: float = 0.0
    peak_kib: int = 0
    before_kib: int = 0
    waits: list[float] = attrs.Factory(list)
    result: dict[str, Any] = attrs.Factory(dict)

    @property
    def growth_mib(self) -> float:
        return max(0, self.peak_kib - self.before_kib) / 1024

    def check(self) -> Check:
        """Every invoice summed, every currency accounted for (shown or counted apart)."""
        try:
            data = expect_success(self.result, "summarize_invoices")["data"]
            shown, others = len(data["currencies"]), data.get("other_currencies", 0)
            count = data["totals"]["count"]
        except (ToolCallFailed, KeyError, TypeError) as exc:  # a failure, or a result of another shape
            return Check(COUNTED, False, f"{type(exc).__name__}: {exc}")
        if count != self.count or shown + others != self.count:
            problem = f"{count} invoices and {shown} + {others} currencies, expected {self.count} of each"
            return Check(COUNTED, False, problem)
        return Check(COUNTED, True)


async def summary_at_scale(sandbox: SandboxProcess, warm_entity: str, entity: str, count: int) -> ScaleRun:
    """The summary of ``entity``'s ``count`` invoices by vendor, through a fresh server process."""
    run = ScaleRun(count)
    env = sandbox.server_env()
    assert sandbox.proc is not None
    peer = await StdioPeer.spawn(SERVER, {**env, "FINIZI_B4B_CALL_DEADLINE": str(SCALE_DEADLINE_S)})
    try:
        await peer.initialize()
        expect_success(await peer.call("login", {}), "login")
        warm = await peer.call("summarize_invoices", {"entity_id": warm_entity, **_BY_VENDOR})
        expect_success(warm, "summarize_invoices")
        await peer.request("tools/list")
        peer.reset_peak_rss()
        run.before_kib, cpu_before = peer.rss_kib(), peer.cpu_seconds()
        sandbox_before = cpu_seconds(sandbox.proc.pid)
        done = asyncio.Event()
        pings = asyncio.create_task(_pinging(peer, done))
        started = time.perf_counter()
        try:
            arguments = {"entity_id": entity, **_BY_VENDOR}
            run.result = await peer.call("summarize_invoices", arguments, within=SCALE_DEADLINE_S + 30)
            run.seconds = time.perf_counter() - started
            run.cpu, run.peak_kib = peer.cpu_seconds() - cpu_before, peer.peak_rss_kib()
            run.sandbox_cpu = cpu_seconds(sandbox.proc.pid) - sandbox_before
        finally:
            done.set()
            run.waits = await pings
    finally:
        await peer.close()
    return run


def scale_figure(run: ScaleRun, figure_id: str, smaller: ScaleRun | None) -> Figure:
    """The figure of one size; with ``smaller``, its memory is held to linear growth from that one."""
    text = len(result_text(run.result).encode())
    limits = [
        Limit("longest tools/list wait", max(run.waits, default=0.0), Kind.AT_MOST, PING_BUDGET_S, "s", 2),
        Limit("result text", float(text), Kind.AT_MOST, ANSWER_BUDGET, "bytes"),
    ]
    facts = [
        Fact("peak RSS", run.peak_kib / 1024, "MiB", 1),
        Fact("RSS growth", run.growth_mib, "MiB", 1),
        Fact("growth per invoice", run.growth_mib * 1024 * 1024 / run.count, "bytes", 0),
        Fact("server CPU", run.cpu, "s"),
        Fact("sandbox CPU", run.sandbox_cpu, "s"),
    ]
    if smaller is not None:
        mine, theirs = run.growth_mib / run.count, smaller.growth_mib / smaller.count
        per_invoice = mine / theirs if theirs else float("inf")
        limits.insert(0, Limit("RSS growth per invoice", per_invoice, Kind.AT_MOST, GROWTH_SLACK, "x 7a", 2))
        if smaller.cpu:  # too short to be read at all in a quick run
            facts.append(Fact("server CPU against 7a", run.cpu / smaller.cpu, "x"))
    return Figure(
        figure_id,
        f"summarize_invoices by vendor, {run.count:,} invoices each in a currency and of a vendor of its own",
        "s",
        (run.seconds,),
        f"7a ({smaller.count:,} invoices)" if smaller is not None else "",
        (smaller.seconds,) if smaller is not None else (),
        limits=tuple(limits),
        checks=(run.check(),),
        facts=tuple(facts),
    )


async def scale_figures(sandbox: SandboxProcess, warm_entity: str, sizes: tuple[int, int]) -> list[Figure]:
    """7a and 7b: the summary at the two sizes, the larger one's memory held to the smaller one's."""
    direct = Direct(sandbox.url)
    try:
        await direct.login()
        entities = [await new_entity(direct, count, "each") for count in sizes]
    finally:
        await direct.close()
    small = await summary_at_scale(sandbox, warm_entity, entities[0], sizes[0])
    large = await summary_at_scale(sandbox, warm_entity, entities[1], sizes[1])
    return [scale_figure(small, "7a", None), scale_figure(large, "7b", small)]


async def deadline_figure(sandbox: SandboxProcess, count: int = DEADLINE_INVOICES) -> Figure:
    """8: a summary of ``count`` invoices whose pages each take a second, against a 3 s deadline."""
    direct = Direct(sandbox.url)
    env = {**sandbox.server_env(), "FINIZI_B4B_CALL_DEADLINE": str(DEADLINE_S)}
    peer = await StdioPeer.spawn(SERVER, env)
    try:
        await direct.login()
        entity = await new_entity(direct, count, "home")
        await peer.initialize()
        expect_success(await peer.call("login", {}), "login")
        path = f"/api/v1/entities/{entity}/invoices"
        fault = {"status": None, "delay": PAGE_DELAY_S, "count": 1000, "path": path, "method": "GET"}
        await direct.control("POST", "faults", fault)
        started = time.perf_counter()
        try:
            result = await peer.call("summarize_invoices", {"entity_id": entity, **_BY_VENDOR})
            seconds = time.perf_counter() - started
        finally:
            await direct.control("DELETE", "faults")
    finally:
        await peer.close()
        await direct.close()
    body = error_body(result)
    wanted = ErrorCode.BACKEND_TIMEOUT.value
    refused = (
        bool(result.get("isError")) and body.get("code") == wanted and "time limit" in body.get("error", "")
    )
    problem = f"expected an error {wanted!r} naming the time limit, got: {result_text(result)[:200]}"
    return Figure(
        "8",
        f"summarize_invoices of {count:,} invoices, FINIZI_B4B_CALL_DEADLINE={DEADLINE_S}, "
        f"each list page answered in {PAGE_DELAY_S:g} s",
        "s",
        (seconds,),
        limits=(Limit("answer after", seconds, Kind.AT_MOST, DEADLINE_S + DEADLINE_MARGIN_S, "s", 2),),
        checks=(Check("the time-limit error", refused, problem),),
    )
