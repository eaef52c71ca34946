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

import aiohttp
import pytest

from bench.answers import Setting, check_answer
from bench.direct_proc import DirectProcess
from bench.figures import Check, Figure, Kind, Limit
from bench.measure_process import floor_env
from bench.measure_scale import COUNTED, GROWTH_SLACK, ScaleRun, scale_figure
from bench.measure_tasks import ALL_QUESTIONS, ask_question
from bench.questions import QUESTIONS
from bench.report import figure_table, verdict
from bench.stdio import ToolCallFailed, expect_success
from finizi_b4b.sandbox import Sandbox, build_state
from tests.integration.sandbox.client import API, Api

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
    assert len(QUESTIONS) >= 10 and len(ALL_QUESTIONS) == len(QUESTIONS) + 5
    assert len({q.id for q in ALL_QUESTIONS}) == len(ALL_QUESTIONS)
    # The books' questions keep the bounds they were set: a report or a trial balance in one call.
    assert {q.id: q.max_calls for q in ALL_QUESTIONS if q.max_calls == 1} == {"Q13": 1, "Q14": 1}
    assert ALL_QUESTIONS[-1].tools[0] == "record_payment"  # the one that writes comes last


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q.id)
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


# -- the summary at scale: its data, and its verdicts ---------------------------------------------


async def _all_invoices(api: Api, entity_id: str) -> list[dict]:
    invoices: list[dict] = []
    for page in range(1, 100):  # bounded: the pages of a few thousand invoices
        body = await api.ok(
            "GET", f"{API}/entities/{entity_id}/invoices", params={"page": page, "page_size": 200}
        )
        invoices += body["items"]
        if not body["has_next"]:
            return invoices
    raise AssertionError("the invoice list did not end")


@pytest.mark.anyio
async def test_synthetic_invoices_each_have_a_currency_and_a_vendor_of_their_own():
    async with Sandbox(control=True) as box, aiohttp.ClientSession() as http:
        api = Api(box, http)
        await api.login()
        entity = await api.ok("POST", f"{API}/entities", json={"name": "Thử tải", "tax_id": "9000000001"})
        body = {"entity": entity["id"], "count": 300, "currencies": "each"}
        status, added, _, _ = await api.call("POST", "/_sandbox/synthetic-invoices", json=body)
        assert status == 201 and added == {"entity": entity["id"], "added": 300, "invoices": 300}
        invoices = await _all_invoices(api, entity["id"])
        assert len(invoices) == 300 and len({inv["id"] for inv in invoices}) == 300
        assert len({inv["currency"] for inv in invoices}) == 300
        assert len({inv["seller_tax_id"] for inv in invoices}) == 300
        assert {inv["direction"] for inv in invoices} == {0} and {inv["status"] for inv in invoices} == {
            "issued"
        }
        dates = [inv["issue_date"] for inv in invoices]
        assert dates == sorted(dates, reverse=True)  # newest first, as the seeded lists
        one = invoices[0]
        vendor = await api.ok("GET", f"{API}/entities/{entity['id']}/vendors/{one['vendor_id']}")
        assert vendor["tax_id"] == one["seller_tax_id"] and vendor["name"] == one["seller_name"]
        # A second request adds invoices of new vendors; "home" keeps them in VND.
        more = {"entity": entity["id"], "count": 20}
        assert (await api.ok("POST", "/_sandbox/synthetic-invoices", json=more))["invoices"] == 320
        invoices = await _all_invoices(api, entity["id"])
        assert len({inv["seller_tax_id"] for inv in invoices}) == 320
        assert sum(inv["currency"] == "VND" for inv in invoices) == 20
        assert box.add_synthetic_invoices(entity["id"], 1) == 321


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"entity": "00000000-0000-4000-8000-000000000000", "count": 1}, 404),
        ({"entity": ["not", "an", "id"], "count": 1}, 404),
        ({"entity": None, "count": 0}, 422),
        ({"entity": None, "count": "3"}, 422),
        ({"entity": None, "count": True}, 422),
        ({"entity": None, "count": 100_001}, 422),
        ({"entity": None, "count": 1, "currencies": "some"}, 422),
        ({"entity": None, "count": 1, "vendors": "each"}, 422),
    ],
)
async def test_synthetic_invoices_refuse_what_they_cannot_do(body, status):
    async with Sandbox(control=True) as box, aiohttp.ClientSession() as http:
        entity_id = next(iter(box.state.entities))
        before = len(box.state.invoices[entity_id])
        body = {**body, "entity": entity_id} if body["entity"] is None else body
        async with http.post(box.url + "/_sandbox/synthetic-invoices", json=body) as resp:
            assert resp.status == status
            assert "detail" in await resp.json()
        assert len(box.state.invoices[entity_id]) == before


@pytest.mark.anyio
async def test_synthetic_invoices_exist_only_with_the_control_endpoints():
    async with Sandbox() as box, aiohttp.ClientSession() as http:
        entity_id = next(iter(box.state.entities))
        body = {"entity": entity_id, "count": 1}
        async with http.post(box.url + "/_sandbox/synthetic-invoices", json=body) as resp:
            assert resp.status == 404


def _summary_result(count: int, shown: int, others: int) -> dict:
    data = {"currencies": [f"X{n}" for n in range(shown)], "totals": {"count": count}}
    if others:
        data["other_currencies"] = others
    return _success({"message": "...", "data": data})


def test_a_summary_at_scale_must_count_every_invoice_and_currency():
    assert ScaleRun(1000, result=_summary_result(1000, 4, 996)).check() == Check(COUNTED, True)
    assert not ScaleRun(1000, result=_summary_result(999, 4, 995)).check().ok
    assert not ScaleRun(1000, result=_summary_result(1000, 4, 990)).check().ok
    failed = {
        "isError": True,
        "content": [{"type": "text", "text": '{"error": "x", "code": "backend_timeout"}'}],
    }
    assert ScaleRun(1000, result=failed).check().problem.startswith("ToolCallFailed: ")


def _run(count: int, growth_kib: int, wait: float = 0.01) -> ScaleRun:
    """A summary of ``count`` invoices whose peak was ``growth_kib`` above where it started."""
    result = _summary_result(count, 4, count - 4)
    return ScaleRun(count, 1.0, 1.0, 1.0, 100_000 + growth_kib, 100_000, [0.0, wait], result)


def test_memory_at_scale_is_held_to_linear_growth_per_invoice_and_pings_to_half_a_second():
    small = _run(4000, 12_000)
    linear = scale_figure(_run(20000, 60_000), "7b", small)
    assert linear.passed and linear.limit("RSS growth per invoice").value == pytest.approx(1.0)
    assert scale_figure(_run(20000, int(60_000 * GROWTH_SLACK)), "7b", small).passed
    quadratic = scale_figure(_run(20000, 300_000), "7b", small)
    assert quadratic.passed is False and quadratic.limit("RSS growth per invoice").value == pytest.approx(5.0)
    assert scale_figure(small, "7a", None).passed
    assert scale_figure(_run(4000, 12_000, wait=0.6), "7a", None).passed is False


@pytest.mark.anyio
async def test_the_direct_client_of_the_floor_makes_the_request_and_counts_failures():
    async with Sandbox(control=True) as box, aiohttp.ClientSession() as http:
        api = Api(box, http)
        await api.login()
        entity_id = next(iter(box.state.entities))
        path, query = f"{API}/entities/{entity_id}/invoices", {"page": 1, "page_size": 50}
        good = await DirectProcess.start(
            box.url, path, query, {"Authorization": f"Bearer {api.token}"}, floor_env()
        )
        bad = await DirectProcess.start(box.url, path, query, {"Authorization": "Bearer nope"}, floor_env())
        try:
            seen = box.counts["invoices.list"]
            seconds, cpu, errors = await good.round(5)
            assert errors == 0 and seconds > 0 and cpu >= 0
            assert box.counts["invoices.list"] == seen + 5
            assert (await bad.round(3))[2] == 3
        finally:
            await good.close()
            await bad.close()


def test_a_missed_memory_budget_is_explained_with_the_aiohttp_floor():
    from bench.figures import Fact
    from bench.report import explain

    figure = Figure(
        "2",
        "peak RSS after every tool",
        "MiB",
        (80.0,),
        "bare server",
        (64.0,),
        limits=(Limit("ratio", 1.25, Kind.AT_MOST, 1.15, "x"),),
        facts=(
            Fact("above the floor", 16.0, "MiB", 1),
            Fact("the floor with an aiohttp request made", 73.5, "MiB", 1),
            Fact("that against the floor", 73.5 / 64.0, "x", 3),
        ),
    )
    note = " ".join(explain([figure]))
    assert "16.0 MiB above" in note and "73.5 MiB" in note and "1.148x" in note
    passing = Figure("2", "peak", "MiB", (70.0,), limits=(Limit("ratio", 1.09, Kind.AT_MOST, 1.15, "x"),))
    assert explain([passing]) == []


def test_a_missed_per_call_budget_is_explained_with_the_bare_servers_answer():
    from bench.figures import Fact
    from bench.report import explain

    figure = Figure(
        "4a",
        "list_invoices through the server",
        "ms",
        (0.005,),
        "direct",
        (0.002,),
        limits=(Limit("overhead", 3.0, Kind.AT_MOST, 1.5, "ms", 2),),
        facts=(
            Fact("the bare SDK server answering the same result", 2.1, "ms"),
            Fact("overhead beyond that", 0.9, "ms"),
        ),
    )
    note = " ".join(explain([figure]))
    assert "Figure 4a missed" in note and "3.00 ms" in note and "2.10 ms" in note and "0.90 ms" in note


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
    for figure in ("1", "2", "3a", "3b", "3c", "4a", "4b", "5a", "5b", "5c", "7a", "7b", "8"):
        rows = [line for line in lines if line.startswith(f"| {figure}. ")]
        assert len(rows) == 1, figure
        assert rows[0].endswith(" |")
        verdict_cell = rows[0].rsplit(" | ", 1)[1]
        assert verdict_cell.startswith("-" if figure == "5c" else ("PASS", "MISS")), rows[0]
    assert "| 5b. refresh requests for 50 concurrent calls after expiry | 1 requests" in table
    assert "bare SDK server answering a result of the same size + an aiohttp client" in table
    assert "aiohttp client " in next(line for line in lines if line.startswith("| 5a. "))
    memory = next(line for line in lines if line.startswith("| 2. "))
    aiohttp_floor = float(memory.split("the floor with an aiohttp request made ")[1].split(" MiB")[0])
    bare_floor = float(memory.split(" | ")[3].split(" ")[0])
    assert aiohttp_floor > bare_floor  # the second reference did load aiohttp and make its request
    for figure in ("4a", "4b"):
        row = next(line for line in lines if line.startswith(f"| {figure}. "))
        assert "the bare SDK server answering the same result " in row and "overhead beyond that " in row
    for figure in ("7a", "7b", "8"):  # answers are not timing: each must be counted right or refused
        row = next(line for line in lines if line.startswith(f"| {figure}. "))
        assert " wrong: " not in row, row
    assert "| 7a. summarize_invoices by vendor, 200 invoices" in table
    assert "| 7b. summarize_invoices by vendor, 1,000 invoices" in table
    assert "RSS growth per invoice" in table and "peak RSS" in table
    questions = [line for line in lines if line.startswith("| Q")]
    assert [row.split()[1] for row in questions] == [q.id for q in ALL_QUESTIONS]
    for row in questions:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[-1] in ("PASS", "MISS"), row
        assert int(cells[2]) >= 1, row  # every question made at least one call
        assert cells[-2] == "ok", row  # answers are not timing: each must match the seeded data
    assert lines[-1].startswith("Summary: ")
