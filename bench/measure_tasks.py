"""Figures 6: what accountants' questions cost an assistant, in tool calls and bytes of result text.

Each question of :mod:`bench.questions` is played through a real MCP stdio
session against a fresh sandbox process (so that no other figure's writes
change the data), and its answer is checked against the same answer computed
in this process from the sandbox's seeded data.
"""

from __future__ import annotations

from typing import Any

import attrs

from bench.books_questions import BOOKS_QUESTIONS
from bench.figures import Check, Figure, Kind, Limit
from bench.measure_process import SERVER
from bench.questions import QUESTIONS, Question, Setting
from bench.sandbox_proc import SandboxProcess
from bench.stdio import StdioPeer, ToolCallFailed, expect_success, result_text
from finizi_b4b.sandbox import build_state

__all__ = ["ALL_QUESTIONS", "MAX_TEXT_BYTES", "Meter", "ask_question", "task_costs"]

MAX_TEXT_BYTES = 4096
# In the order asked; the books' questions last, since the payment question writes.
ALL_QUESTIONS: tuple[Question, ...] = (*QUESTIONS, *BOOKS_QUESTIONS)


@attrs.define
class Meter:
    """Counts the calls a question makes and the bytes of result text it has to read."""

    peer: StdioPeer
    calls: int = 0
    text_bytes: int = 0
    tools: list[str] = attrs.Factory(list)

    async def ask(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await self.peer.call(tool, arguments)
        self.calls += 1
        self.text_bytes += len(result_text(result).encode())
        self.tools.append(tool)
        return expect_success(result, tool)


def figure_of(question: Question, meter: Meter, check: Check) -> Figure:
    return Figure(
        question.id,
        question.text,
        "bytes",
        (float(meter.text_bytes),),
        reference=" + ".join(meter.tools) or " + ".join(question.tools),
        limits=(
            Limit("calls", float(meter.calls), Kind.AT_MOST, question.max_calls),
            Limit("text", float(meter.text_bytes), Kind.AT_MOST, MAX_TEXT_BYTES, "bytes"),
        ),
        checks=(check,),
    )


async def ask_question(peer: StdioPeer, question: Question, state: Any, setting: Setting) -> Figure:
    meter = Meter(peer)
    try:
        answer = await question.script(meter.ask, setting)
    except ToolCallFailed as exc:
        return figure_of(question, meter, Check("answer", False, str(exc)))
    except (KeyError, TypeError, ValueError) as exc:  # the result did not have the shape the script reads
        return figure_of(question, meter, Check("answer", False, f"unexpected result: {exc!r}"))
    return figure_of(question, meter, question.check(answer, state, setting))


async def task_costs(seed: int = 0) -> list[Figure]:
    state = build_state(seed)
    setting = Setting.choose(state)
    async with SandboxProcess(seed) as sandbox:
        # Every toolset: the payment question needs the opt-in payments toolset.
        peer = await StdioPeer.spawn(SERVER, {**sandbox.server_env(), "FINIZI_B4B_TOOLSETS": "all"})
        try:
            await peer.initialize()
            served = {tool["name"] for tool in (await peer.request("tools/list"))["tools"]}
            expect_success(await peer.call("login", {}), "login")
            figures = []
            for question in ALL_QUESTIONS:
                missing = sorted(set(question.tools) - served)
                if missing:
                    check = Check("answer", False, f"the server has no tool {', '.join(missing)}")
                    figures.append(figure_of(question, Meter(peer), check))
                    continue
                figures.append(await ask_question(peer, question, state, setting))
        finally:
            await peer.close()
    return figures
