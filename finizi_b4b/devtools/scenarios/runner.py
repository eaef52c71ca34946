"""Playing scripted steps through any MCP client session.

:func:`run_steps` plays a list of :class:`Step` through a :data:`CallTool`
function: :func:`mcp_caller` adapts an ``mcp.Client``, :func:`rpc_caller` a raw
JSON-RPC peer whose ``tools/call`` answers are plain dicts (as the benchmark's).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "Answer",
    "CallTool",
    "Context",
    "ScenarioRun",
    "Step",
    "StepOutcome",
    "mcp_caller",
    "money",
    "rpc_caller",
    "run_steps",
    "shown_arguments",
]


@attrs.frozen
class Answer:
    """A tool call's result as a scenario reads it."""

    is_error: bool
    body: dict[str, Any]


CallTool = Callable[[str, dict[str, Any]], Awaitable[Answer]]


def mcp_caller(client: Any) -> CallTool:
    """``client.call_tool`` of an ``mcp.Client`` as a :data:`CallTool`."""

    async def call(tool: str, arguments: dict[str, Any]) -> Answer:
        result = await client.call_tool(tool, arguments)
        body = result.structured_content or json.loads(result.content[0].text)
        return Answer(bool(result.is_error), body)

    return call


def rpc_caller(call_tool: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]) -> CallTool:
    """A raw ``tools/call`` (returning the JSON-RPC result dict) as a :data:`CallTool`."""

    async def call(tool: str, arguments: dict[str, Any]) -> Answer:
        result = await call_tool(tool, arguments)
        body = result.get("structuredContent") or json.loads(result["content"][0]["text"])
        return Answer(bool(result.get("isError")), body)

    return call


@attrs.define
class Context:
    """What a scenario carries from one step to the next."""

    workdir: Path
    sandbox: Any = None  # an in-process Sandbox, for the steps that act on it
    values: dict[str, Any] = attrs.Factory(dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


Args = dict[str, Any] | Callable[[Context], dict[str, Any]]


@attrs.frozen
class Step:
    tool: str
    args: Args = attrs.Factory(dict)
    expect: str = "ok"  # "ok", or the error code the call must end in
    before: Callable[[Context], None] | None = None
    keep: Callable[[Context, dict[str, Any]], None] | None = None
    check: Callable[[Context, dict[str, Any]], str | None] | None = None  # what is wrong, if anything
    show: Callable[[dict[str, Any]], str] | None = None
    note: str = ""  # what the step is for, when its arguments do not say it


@attrs.frozen
class StepOutcome:
    number: int
    tool: str
    arguments: dict[str, Any]
    good: bool
    summary: str
    note: str = ""


@attrs.frozen
class ScenarioRun:
    outcomes: tuple[StepOutcome, ...]

    @property
    def failures(self) -> int:
        return sum(not o.good for o in self.outcomes)

    @property
    def tools(self) -> set[str]:
        return {o.tool for o in self.outcomes}


def shown_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments as printed: complete, except that a password is hidden."""
    return {k: ("[hidden]" if k == "password" else v) for k, v in arguments.items()}


def money(value: Any) -> str:
    """An amount the one way the demo writes amounts: ``1.716.000 VND``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}".replace(",", ".") + " VND"


async def run_steps(
    call: CallTool, steps: list[Step], ctx: Context, on_step: Callable[[StepOutcome], None] | None = None
) -> ScenarioRun:
    """Run the steps in order; every step runs, and its outcome says whether it went as expected.

    A step whose arguments need a value an earlier, failed step did not keep is
    skipped (and counts as not as expected); an answer of an unexpected shape
    is a step not as expected, never an exception.
    """
    outcomes = []
    for number, step in enumerate(steps, start=1):
        try:
            args = step.args(ctx) if callable(step.args) else dict(step.args)
        except KeyError as exc:
            outcome = StepOutcome(number, step.tool, {}, False, f"skipped: no {exc} from an earlier step")
        else:
            if step.before is not None:
                step.before(ctx)
            summary, good = _judge(step, ctx, await call(step.tool, args))
            outcome = StepOutcome(number, step.tool, shown_arguments(args), good, summary, step.note)
        outcomes.append(outcome)
        if on_step is not None:
            on_step(outcome)
    return ScenarioRun(tuple(outcomes))


def _judge(step: Step, ctx: Context, answer: Answer) -> tuple[str, bool]:
    """What to say about an answer, and whether it is the one the step expects."""
    body = answer.body
    outcome = body.get("code", "error") if answer.is_error else "ok"
    if outcome != step.expect:
        return f"{outcome}, but {step.expect} was expected: {body.get('error', body)}", False
    if answer.is_error:
        return f"{outcome}, as expected: {body.get('error')}", True
    try:
        if step.keep is not None:
            step.keep(ctx, body)
        problem = step.check(ctx, body) if step.check is not None else None
        if problem is not None:
            return problem, False
        return (step.show(body) if step.show is not None else "ok"), True
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        return f"the answer is not of the expected shape ({type(exc).__name__}: {exc})", False
