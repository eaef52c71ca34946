"""The benchmark's own logic, and a smoke run of it so that it cannot rot. Budgets are not judged here.

Timing on shared machines is noise; the budgets are held by ``make bench``.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.answers import Setting, check_answer
from bench.figures import Check, Figure, Kind, Limit
from bench.measure_tasks import ask_question
from bench.questions import QUESTIONS
from bench.report import figure_table, verdict
from bench.stdio import ToolCallFailed, expect_success
from finizi_b4b.sandbox import build_state

ROOT = Path(__file__).resolve().parents[2]


# -- figures: the verdict comes from fields ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "bound", "passed"),
    [
        (Kind.AT_MOST, 1.10, 1.10, True),
        (Kind.AT_MOST, 1.11, 1.10, False),
        (Kind.AT_LEAST, 0.8, 0.8, True),
        (Kind.AT_LEAST, 0.79, 0.8, False),
        (Kind.EXACTLY, 1.0, 1, True),
        (Kind.EXACTLY, 2.0, 1, False),
    ],
)
def test_a_limit_holds_by_its_kind(kind, value, bound, passed):
    assert Limit("x", value, kind, bound).passed is passed


def test_a_figure_passes_only_when_every_limit_and_check_does():
    within = Limit("calls", 1, Kind.AT_MOST, 2)
    over = Limit("text", 5000, Kind.AT_MOST, 4096, "bytes")
    base = Figure("Q1", "a question", "bytes", (1.0,))
    assert base.passed is None  # no budget: a reference only
    assert attrs_evolve(base, limits=(within,)).passed is True
    assert attrs_evolve(base, limits=(within, over)).passed is False
    wrong = Check("answer", False, "answer: 1, expected 2")
    assert attrs_evolve(base, limits=(within,), checks=(wrong,)).passed is False
    assert attrs_evolve(base, limits=(within,), checks=(Check("answer", True),)).passed is True


def test_the_verdict_ignores_what_titles_and_notes_say():
    misleading = Figure(
        "1", "PASS PASS (ratio 0.5x)", "ms", (1.0,), limits=(Limit("ratio", 1.5, Kind.AT_MOST, 1.1, "x"),)
    )
    reference = Figure("5c", "MISS", "calls/s", (1.0,))
    assert verdict([misleading, reference]) == (0, 1)
    row = figure_table([misleading])[-1]
    assert row.endswith("| ratio <= 1.10x | MISS (ratio 1.500x) |")
    assert misleading.limit("ratio").value == 1.5


def attrs_evolve(figure: Figure, **changes: Any) -> Figure:
    import attrs

    return attrs.evolve(figure, **changes)


# -- reading results: an error result has only text content ----------------------------------


def test_an_error_result_gives_the_intended_message_not_a_key_error():
    body = {"success": False, "error": "Invoice 7 was not found.", "code": "not_found"}
    result = {"isError": True, "content": [{"type": "text", "text": json.dumps(body)}]}
    with pytest.raises(ToolCallFailed, match=r"^get_invoice failed: not_found: Invoice 7 was not found\.$"):
        expect_success(result, "get_invoice")


def test_an_error_result_without_json_text_still_says_what_it_says():
    result = {"isError": True, "content": [{"type": "text", "text": "boom"}]}
    with pytest.raises(ToolCallFailed, match=r"^login failed: boom$"):
        expect_success(result, "login")


def test_a_success_result_gives_its_structured_content():
    result = {"content": [{"type": "text", "text": "{}"}], "structuredContent": {"success": True, "data": 1}}
    assert expect_success(result, "whoami") == {"success": True, "data": 1}


# -- the task-cost questions --------------------------------------------------------------------


@pytest.fixture(scope="module")
def world():
    state = build_state(0)
    return state, Setting.choose(state)


def _perturbed(value: Any) -> Any:
    """The same answer with its first number one higher, or, with no number, its first text changed."""

    def change(node: Any, kind: type) -> tuple[bool, Any]:
        if isinstance(node, kind) and not isinstance(node, bool):
            return True, node + (1 if kind is int else "x")
        if isinstance(node, dict):
            items = list(node.items())
        else:
            items = list(enumerate(node)) if isinstance(node, list) else []
        for key, item in items:
            changed, new = change(item, kind)
            if changed:
                copied = copy.deepcopy(node)
                copied[key] = new
                return True, copied
        return False, node

    changed, wrong = change(value, int)
    if not changed:
        changed, wrong = change(value, str)
    assert changed, value
    return wrong


def test_there_are_at_least_ten_questions_with_distinct_ids():
    assert len(QUESTIONS) >= 10
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_the_checker_takes_the_right_answer_and_refuses_a_wrong_one(question, world):
    state, setting = world
    expected = question.expected(state, setting)
    assert expected, "the seeded data must give the question a non-empty answer"
    assert question.check(copy.deepcopy(expected), state, setting).ok
    refused = question.check(_perturbed(expected), state, setting)
    assert not refused.ok
    assert refused.problem.startswith("answer")


def test_summary_questions_expect_sums_without_the_cancelled_invoices(world):
    state, setting = world
    question = next(q for q in QUESTIONS if q.id == "Q02")  # the top vendors, from summarize_invoices
    bought = [
        inv
        for inv in state.invoices[setting.entity_id]
        if inv["direction"] == 0 and inv["issue_date"].startswith(f"{setting.year}-")
    ]
    cancelled = sum(inv["total_amount"] for inv in bought if inv["status"] == "cancelled")
    assert cancelled > 0  # the seeded year has some, so that the rule shows in the answer
    everything = sum(inv["total_amount"] for inv in bought)
    assert question.expected(state, setting)["all"] == everything - cancelled


class FakePeer:
    """Answers every tools/call with one canned result, as a server would over stdio."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.calls: list[str] = []

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(tool)
        return self.result


def _success(body: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps({"success": True, **body})
    return {"content": [{"type": "text", "text": text}], "structuredContent": {"success": True, **body}}


@pytest.mark.anyio
async def test_a_question_whose_call_fails_is_a_wrong_answer_with_the_servers_message(world):
    state, setting = world
    body = {"success": False, "error": "Entity not found.", "code": "not_found"}
    peer = FakePeer({"isError": True, "content": [{"type": "text", "text": json.dumps(body)}]})
    figure = await ask_question(peer, QUESTIONS[0], state, setting)
    assert figure.passed is False
    assert figure.checks[0].problem == "get_invoice_statistics failed: not_found: Entity not found."
    assert figure.limit("calls").value == 1
    assert figure.limit("text").value == len(json.dumps(body).encode())


@pytest.mark.anyio
async def test_a_question_answered_with_wrong_numbers_is_refused(world):
    state, setting = world
    question = QUESTIONS[0]  # total purchases in a quarter, from get_invoice_statistics
    right = question.expected(state, setting)
    wrong = {**right, "total_amount": right["total_amount"] + 1}
    stats = {"data": {"by_direction": {"purchase": wrong, "sales": wrong}}}
    figure = await ask_question(FakePeer(_success(stats)), question, state, setting)
    assert figure.passed is False
    assert "total_amount" in figure.checks[0].problem
    stats = {"data": {"by_direction": {"purchase": right, "sales": wrong}}}
    assert (await ask_question(FakePeer(_success(stats)), question, state, setting)).passed is True


@pytest.mark.anyio
async def test_a_question_given_a_result_of_another_shape_is_refused_not_crashed(world):
    state, setting = world
    figure = await ask_question(FakePeer(_success({"data": {}})), QUESTIONS[0], state, setting)
    assert figure.passed is False
    assert figure.checks[0].problem.startswith("unexpected result: KeyError")


def test_the_checker_refuses_missing_items_and_other_types():
    assert not check_answer([1, 2], [1, 2, 3]).ok
    assert not check_answer({"a": 1}, {"a": 1, "b": 2}).ok
    assert not check_answer({"a": 1.0}, {"a": 1}).ok
    assert check_answer({"a": [1, "x"]}, {"a": [1, "x"]}).ok


# -- a smoke run ---------------------------------------------------------------------------------


def test_the_benchmark_runs_every_figure_once(tmp_path):
    output = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr  # 1 only means a budget was missed
    table = output.read_text(encoding="utf-8")
    assert table == done.stdout
    lines = table.splitlines()
    for figure in ("1", "2", "3a", "3b", "4a", "4b", "5a", "5b", "5c"):
        rows = [line for line in lines if line.startswith(f"| {figure}. ")]
        assert len(rows) == 1, figure
        assert rows[0].endswith(" |")
        verdict_cell = rows[0].rsplit(" | ", 1)[1]
        assert verdict_cell.startswith("-" if figure == "5c" else ("PASS", "MISS")), rows[0]
    assert "| 5b. refresh requests for 50 concurrent calls after expiry | 1 requests" in table
    assert "bare SDK server answering a result of the same size" in table
    questions = [line for line in lines if line.startswith("| Q")]
    assert [row.split()[1] for row in questions] == [q.id for q in QUESTIONS]
    for row in questions:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[-1] in ("PASS", "MISS"), row
        assert int(cells[2]) >= 1, row  # every question made at least one call
        assert cells[-2] == "ok", row  # answers are not timing: each must match the seeded data
    assert lines[-1].startswith("Summary: ")
