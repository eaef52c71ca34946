"""The benchmark's report: the figures as Markdown tables, and the verdict computed from their fields."""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Iterable

import attrs

from bench.figures import Figure, spread
from bench.measure_scale import (
    DEADLINE_MARGIN_S,
    DEADLINE_S,
    GROWTH_SLACK,
    PAGE_DELAY_S,
    PING_BUDGET_S,
    PING_EVERY_S,
    SCALE_DEADLINE_S,
)

__all__ = ["RunInfo", "explain", "figure_table", "render", "scale_section", "task_table", "verdict"]


@attrs.frozen
class RunInfo:
    """How the run was made, for the report's header."""

    spawns: int
    calls: int
    rounds: int
    elapsed: float
    load_before: float
    load_after: float
    started: dt.datetime = attrs.Factory(lambda: dt.datetime.now().astimezone())


def _scale(unit: str) -> tuple[float, int]:
    if unit == "ms":
        return 1000.0, 2
    if unit == "s":
        return 1.0, 2
    return 1.0, 0 if unit in ("bytes", "requests") else 1


def _result(figure: Figure) -> str:
    shown = "-" if figure.passed is None else "PASS" if figure.passed else "MISS"
    details = [limit.describe() for limit in figure.limits] + [fact.describe() for fact in figure.facts]
    details += [f"{check.name} wrong: {check.problem}" for check in figure.checks if not check.ok]
    return shown + (f" ({', '.join(details)})" if details else "")


def _budget(figure: Figure) -> str:
    parts = [limit.budget() for limit in figure.limits] + [check.name for check in figure.checks]
    return "; ".join(parts) if parts else "(reference, no budget)"


def figure_table(figures: Iterable[Figure]) -> list[str]:
    lines = [
        "| figure | finizi-b4b: median (min-max) | reference | reference: median (min-max) "
        "| budget | result |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        scale, digits = _scale(f.unit)
        ours = spread(f.samples, scale, digits)
        ref = spread(f.reference_samples, scale, digits)
        cells = [f"{f.id}. {f.title}", f"{ours} {f.unit}", f.reference or "-", ref, _budget(f), _result(f)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def task_table(figures: Iterable[Figure]) -> list[str]:
    lines = [
        "| question | tool calls | calls | result text | budget | answer checked | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        calls, text = f.limit("calls"), f.limit("text")
        answer = "ok" if all(c.ok for c in f.checks) else "WRONG: " + "; ".join(c.problem for c in f.checks)
        lines.append(
            f"| {f.id} {f.title} | {f.reference} | {calls.value:.0f} | {text.value:,.0f} bytes "
            f"| {calls.budget()}, {text.budget()} | {answer} | {'PASS' if f.passed else 'MISS'} |"
        )
    return lines


def explain(figures: Iterable[Figure]) -> list[str]:
    """What a missed memory or concurrency budget means, in this run's numbers (read from the figures)."""
    by_id = {f.id: f for f in figures}
    notes = _memory_note(by_id.get("2"))
    for figure_id in ("4a", "4b"):
        notes += _per_call_note(by_id.get(figure_id))
    return notes + _concurrency_note(by_id.get("5a"))


def _per_call_note(ours: Figure | None) -> list[str]:
    if ours is None or ours.passed is not False:
        return []
    overhead = ours.limit("overhead").value
    answering = ours.fact("the bare SDK server answering the same result").value
    beyond = ours.fact("overhead beyond that").value
    return [
        f"Figure {ours.id} missed its budget: of its {overhead:.2f} ms of overhead over the direct request, "
        f"{answering:.2f} ms is what the bare SDK server takes to answer a result of the same size over "
        f"stdio, and {beyond:.2f} ms is this server's own work and its API client's.",
        "",
    ]


def _memory_note(ours: Figure | None) -> list[str]:
    if ours is None or ours.passed is not False:
        return []
    above = ours.fact("above the floor").value
    with_aiohttp = ours.fact("the floor with an aiohttp request made").value
    ratio = ours.fact("that against the floor").value
    return [
        f"Figure 2 missed its budget: the server's peak is {above:.1f} MiB above the bare server's. The "
        "bare server that has also made one request with aiohttp, the HTTP client this server is built on, "
        f"peaks at {with_aiohttp:.1f} MiB, {ratio:.3f}x the bare server, before any code of this server is "
        "loaded.",
        "",
    ]


def _concurrency_note(ours: Figure | None) -> list[str]:
    if ours is None or ours.passed is not False:
        return []
    cpu = ours.limit("server CPU per call")
    if cpu.passed:
        return [f"Figure 5a missed its budget: {ours.limit('errors').value:.0f} of its calls failed.", ""]
    return [
        f"Figure 5a missed its budget: the server spends {ours.fact('server CPU').value:.2f} ms of CPU per "
        f"call, against a floor of {ours.fact('floor').value:.2f} ms: the bare SDK server's "
        f"{ours.fact('bare SDK server').value:.2f} ms answering a result of the same size "
        f"({ours.fact('bare result').value:,.0f} bytes against {ours.fact('result').value:,.0f}) and an "
        f"aiohttp client's {ours.fact('aiohttp client').value:.2f} ms making the same request and decoding "
        "its answer. The difference is this server's own work per call beyond both: validating the "
        "arguments, its API client's layers around the request, reading the answer into records, and "
        "building the result.",
        "",
    ]


def scale_section(figures: list[Figure]) -> list[str]:
    """The summary at scale (7a, 7b) and at its deadline (8): how they are measured, then their table."""
    if not figures:
        return []
    return [
        "## The summary at scale, and at its deadline",
        "",
        '7a and 7b: `summarize_invoices` with `group_by: ["vendor"]` over an entity whose invoices each '
        "have a currency and a vendor of their own, loaded into the sandbox with `POST "
        "/_sandbox/synthetic-invoices`. Each size gets a fresh server process (stdio, "
        f"`FINIZI_B4B_CALL_DEADLINE={SCALE_DEADLINE_S}`), signed in and warmed up by the same summary of "
        "the seeded entity. The time is from sending the call to reading its answer; the peak RSS is the "
        "server's VmHWM, reset just before the call; the RSS growth is that peak minus the resident set "
        "just before the call. Memory must grow linearly: the growth per invoice at the larger size may be "
        f"at most {GROWTH_SLACK:g}x the growth per invoice at the smaller one (a cost quadratic in the "
        "invoices would raise it as many times as the invoices grow). Meanwhile `tools/list` is sent every "
        f"{PING_EVERY_S * 1000:g} ms; the longest wait for its answer may be at most {PING_BUDGET_S:g} s. "
        "The time is not held to a budget: every list page the sandbox serves carries the sums over all the "
        "matching invoices per currency, as many as there are invoices here, so both the sandbox's work and "
        "the bytes the server reads per page grow with the invoices, and the time with their square (the "
        "sandbox's CPU is shown beside the server's).",
        "",
        f"8: the call's deadline at {DEADLINE_S} s and every list page answered after {PAGE_DELAY_S:g} s "
        "(a sandbox fault with a delay): the answer must be the error saying the summary could not finish "
        f"within the time limit, within the deadline plus {DEADLINE_MARGIN_S:g} s.",
        "",
        *figure_table(figures),
        "",
    ]


def _busy(info: RunInfo) -> list[str]:
    """A warning when the machine had more work than CPUs while the benchmark ran."""
    cpus = os.cpu_count() or 1
    if max(info.load_before, info.load_after) <= cpus:
        return []
    return [
        f"The machine was shared and busy during this run (load average above its {cpus} CPUs): absolute "
        "times are inflated and their ranges wide, so compare the ratios within this run, not the times "
        "with another run's.",
        "",
    ]


def verdict(figures: Iterable[Figure]) -> tuple[int, int]:
    """Budgets met, budgets held."""
    judged = [f for f in figures if f.passed is not None]
    return sum(bool(f.passed) for f in judged), len(judged)


def render(figures: list[Figure], scale: list[Figure], tasks: list[Figure], info: RunInfo) -> str:
    met, held = verdict([*figures, *scale, *tasks])
    lines = [
        "# finizi-b4b benchmark",
        "",
        f"Run on {info.started.strftime('%Y-%m-%d %H:%M %Z')}: Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {info.load_before:.2f} before and "
        f"{info.load_after:.2f} after; {info.spawns} spawns, {info.calls} calls per figure, "
        f"{info.rounds} rounds of 50; {info.elapsed:.0f} s. The sandbox API runs in its own process on "
        "loopback. Absolute times depend on the machine and on whatever else runs on it; the budgets are "
        "ratios to references measured interleaved in the same run.",
        "",
        *_busy(info),
        *figure_table(figures),
        "",
        *explain(figures),
        *scale_section(scale),
        "## Task cost: accountants' questions",
        "",
        "Each question is scripted as the best sequence of tool calls, through a stdio session against a "
        "fresh sandbox, after signing in (not counted). Result text is the bytes of text content an "
        "assistant reads. Every answer is checked against the same answer computed from the sandbox's "
        "seeded data in the benchmark process.",
        "",
        *task_table(tasks),
        "",
        f"Summary: {'PASS' if met == held else 'MISS'}: {met} of {held} budgets met.",
    ]
    return "\n".join(lines) + "\n"
