"""generate_tax_report and send_tax_report_to_htkk through a real client session against the sandbox.

The expected figures are computed here from the sandbox's own records: the VAT
report's lines by rate over the period's booked invoices (issued, validated,
paid), and the cross-check's sums from the invoices' totals, cancelled left out
and drafts counted apart. The report's job is driven by the sandbox's job plan
(``box.set_jobs``) or answered by a fault, to test a failed job, a job slower
than the call's deadline, cancellation, and answers whose figures do not agree.
"""

from __future__ import annotations

import calendar
import json
from decimal import Decimal

import anyio
import mcp.types as types
import pytest

from finizi_b4b.sandbox import Sandbox
from tests.conftest import body_of

pytestmark = pytest.mark.anyio

BOOKED = ("issued", "validated", "paid")
SIDES = {"output": 1, "input": 0}
JOBS = "/api/v1/celery/jobs/"


@pytest.fixture
def box(sandbox):
    sandbox.reset_jobs()
    yield sandbox
    sandbox.reset_jobs()


def in_period(box, entity_id: str, first: str, last: str) -> list[dict]:
    return [inv for inv in box.state.invoices[entity_id] if first <= inv["issue_date"][:10] <= last]


def expected_vat(invoices: list[dict]) -> dict:
    """Per side: amount and tax by rate over the lines of the booked invoices, and the totals."""
    found = {}
    for side, direction in SIDES.items():
        rates: dict[str, list[Decimal]] = {}
        count = 0
        for invoice in invoices:
            if invoice["direction"] != direction or invoice["status"] not in BOOKED:
                continue
            count += 1
            for line in invoice["line_items"]:
                pair = rates.setdefault(str(line["vat_rate"]), [Decimal(0), Decimal(0)])
                pair[0] += Decimal(str(line["amount"]))
                pair[1] += Decimal(str(line["tax_amount"]))
        amount = sum((a for a, _ in rates.values()), Decimal(0))
        tax = sum((t for _, t in rates.values()), Decimal(0))
        shown = {r: {"amount": int(a), "tax": int(t)} for r, (a, t) in rates.items() if a or t}
        found[side] = {"amount": int(amount), "tax": int(tax), "invoices": count, "by_rate": shown}
    found["payable"] = found["output"]["tax"] - found["input"]["tax"]
    return found


def invoice_sums(invoices: list[dict], direction: int, statuses=None, without=("cancelled",)) -> tuple:
    """Count, net and tax of the invoices of a direction, from their totals."""
    chosen = [
        inv
        for inv in invoices
        if inv["direction"] == direction
        and (statuses is None or inv["status"] in statuses)
        and inv["status"] not in without
    ]
    net = sum(Decimal(str(inv["total_amount_before_tax"])) for inv in chosen)
    return len(chosen), int(net), int(sum(Decimal(str(inv["total_tax_amount"])) for inv in chosen))


async def generate(client, arguments: dict, tool: str = "generate_tax_report", **options) -> tuple:
    with anyio.fail_after(30):  # a hang, not a speed target
        result = await client.call_tool(tool, arguments, **options)
    return result, body_of(result)


# -- the figures and the cross-check ---------------------------------------------------------------------


async def test_the_vat_report_gives_its_figures_by_rate_and_states_the_drafts_difference(
    connect, box, world, era
):
    seen: list[tuple] = []

    async def on_progress(progress, total, message):
        seen.append((progress, message))

    async with connect(era) as client:
        result, body = await generate(
            client, {"entity_id": world.big, "period": "2025-Q2"}, progress_callback=on_progress
        )
    assert not result.is_error, body
    data = body["data"]
    invoices = in_period(box, world.big, "2025-04-01", "2025-06-30")
    assert data["source"] == "report" and data["figures"] == expected_vat(invoices)
    report = box.state.reports[data["report_id"]]
    assert data["download_url"].endswith(f"/tax-reports/{data['report_id']}/download")
    assert report["upload_htkk"] is False and data["jobs"] == [{"id": report["job_id"], "status": "success"}]
    assert [p for p, _ in seen[:3]] == [1, 2, 3] and seen[2][1] == "Report job success (poll 3)"
    assert [p for p, _ in seen] == list(range(1, len(seen) + 1)), "progress only increases"
    assert "field names the API does not document" in body["message"]
    for side, direction in SIDES.items():
        count, _, tax = invoice_sums(invoices, direction)
        drafts = invoice_sums(invoices, direction, statuses=("draft",))
        assert drafts[0] > 0, "the period has drafts on both sides"
        row = data["cross_check"][f"{side}_tax"]
        assert (row["report"], row["invoices"], row["count"]) == (data["figures"][side]["tax"], tax, count)
        assert row["drafts"] == {"count": drafts[0], "tax": drafts[2]}
        assert row["difference"] == -drafts[2] and row["result"] == "drafts"
        assert data["cross_check"][f"{side}_amount"]["difference"] == -drafts[1]
        words = f"{side} tax differs from the {'sales' if direction else 'purchase'} invoices' ({tax:,} VND"
        assert (
            words in body["message"]
            and f"by {-drafts[2]:,} VND: exactly the {drafts[0]} draft" in body["message"]
        )


async def test_a_side_without_drafts_agrees(connect, box, world):
    months = [
        (f"2025-{m:02d}", f"2025-{m:02d}-01", f"2025-{m:02d}-{calendar.monthrange(2025, m)[1]}")
        for m in range(1, 13)
    ]
    month = next(
        m
        for m, first, last in months
        if not invoice_sums(in_period(box, world.big, first, last), 1, ("draft",))[0]
    )
    async with connect() as client:
        _, body = await generate(client, {"entity_id": world.big, "report_type": "vat", "period": month})
    row = body["data"]["cross_check"]["output_tax"]
    assert row["result"] == "agrees" and "difference" not in row and "drafts" not in row
    assert "output tax agrees with the sales invoices'" in body["message"]


def canned_job(result: dict) -> str:
    return json.dumps({"id": "x", "status": "success", "result": result})


async def test_a_report_that_differs_from_the_invoices_says_by_how_much(connect, box, world):
    invoices = in_period(box, world.big, "2025-04-01", "2025-06-30")
    figures = expected_vat(invoices)
    drafts_tax = invoice_sums(invoices, 0, statuses=("draft",))[2]
    wire = {
        side: {"amount": str(figures[side]["amount"]), "tax_amount": str(figures[side]["tax"])}
        for side in SIDES
    }
    wire["input"]["tax_amount"] = str(figures["input"]["tax"] + 1000)  # off by 1,000 more than the drafts
    wire["payable"] = "1"  # does not add up either
    box.inject_fault(200, body=canned_job(wire), path=JOBS)
    async with connect() as client:
        _, body = await generate(client, {"entity_id": world.big, "period": "2025-Q2"})
    data = body["data"]
    row = data["cross_check"]["input_tax"]
    assert row["result"] == "differs" and row["difference"] == 1000 - drafts_tax
    assert "input tax differs from the purchase invoices' " in body["message"]
    assert f"by {1000 - drafts_tax:,} VND; look for invoices" in body["message"]
    assert data["inconsistent"] == ["payable"] and "payable do not add up" in body["message"]


async def test_a_report_without_a_figure_names_it_and_puts_nothing_in_its_place(connect, box, world):
    box.inject_fault(200, body=canned_job({"output": {"amount": "10"}, "input": {}}), path=JOBS)
    async with connect() as client:
        _, body = await generate(client, {"entity_id": world.big, "period": "2025-Q2"})
    data = body["data"]
    assert data["missing"] == ["output.tax_amount", "input.amount", "input.tax_amount", "payable"]
    assert data["figures"]["output"] == {"amount": 10, "tax": None} and data["figures"]["payable"] is None
    assert data["cross_check"]["output_tax"]["result"] == "not_checkable"
    assert "no figure was put in their place" in body["message"]


async def test_cit_revenue_is_checked_against_the_sales_and_other_reports_pass_their_figures(
    connect, box, world
):
    box.set_jobs(1)
    async with connect() as client:
        _, cit = await generate(client, {"entity_id": world.big, "report_type": "cit", "period": "2025-06"})
        _, pit = await generate(client, {"entity_id": world.big, "report_type": "pit", "period": "2025-06"})
        _, bctc = await generate(client, {"entity_id": world.big, "report_type": "bctc", "period": "2025-06"})
    invoices = in_period(box, world.big, "2025-06-01", "2025-06-30")
    booked_net = invoice_sums(invoices, 1, statuses=BOOKED)[1]
    revenue, figures = cit["data"]["cross_check"]["revenue"], cit["data"]["figures"]
    assert figures["revenue"] == revenue["report"] == booked_net
    assert revenue["invoices"] == invoice_sums(invoices, 1)[1]  # every sale but the cancelled
    drafts = invoice_sums(invoices, 1, statuses=("draft",))[0]
    assert revenue["result"] == ("drafts" if drafts else "agrees")
    assert figures["profit"] == figures["revenue"] - figures["expenses"]
    assert pit["data"]["figures"] == {"employee_count": 0, "taxable_income": 0, "pit_withheld": 0}
    assert "cross_check" not in pit["data"] and "invoices hold no payroll" in pit["message"]
    assert bctc["data"]["figures"]["income_statement.revenue"] == booked_net
    assert "balance_sheet.equity" in bctc["data"]["figures"]


@pytest.fixture(scope="module")
def minimal():
    with Sandbox.in_thread(seed=0, minimal=True) as box:
        yield box


async def test_a_job_without_figures_gives_the_invoices_figures_as_such(minimal):
    from mcp import Client

    from finizi_b4b.server import build_server
    from tests.conftest import settings_for

    entity = next(iter(minimal.state.entities))
    async with Client(build_server(settings_for(minimal)), mode="legacy") as client:
        _, body = await generate(client, {"entity_id": entity, "period": "2025-Q2"})
    data = body["data"]
    invoices = in_period(minimal, entity, "2025-04-01", "2025-06-30")
    assert data["source"] == "invoices" and "cross_check" not in data
    for side, direction in SIDES.items():
        count, net, tax = invoice_sums(invoices, direction, statuses=BOOKED)
        drafts = invoice_sums(invoices, direction, statuses=("draft",))
        assert data["figures"][side] == {
            "invoices": count,
            "amount": net,
            "tax": tax,
            "drafts": {"count": drafts[0], "tax": drafts[2]},
        }
    assert data["figures"]["payable"] == data["figures"]["output"]["tax"] - data["figures"]["input"]["tax"]
    assert "carried no figures" in body["message"] and "not the report's" in body["message"]


async def test_a_cross_check_that_cannot_be_made_still_gives_the_report(connect, box, world):
    box.set_jobs(1)
    async with connect() as client:
        await client.call_tool("whoami", {})
        box.inject_fault(503, count=20, path=f"/api/v1/entities/{world.big}/invoices")
        result, body = await generate(client, {"entity_id": world.big, "period": "2025-Q2"})
    assert not result.is_error, body
    assert body["data"]["cross_check"] == {"made": False} and body["data"]["figures"]["payable"] is not None
    assert (
        "The cross-check against the invoices could not be made: The Finizi B4B API is temporarily"
        in (body["message"])
    )


async def test_an_answer_without_a_job_or_with_a_bad_one(connect, box, world):
    path = f"/api/v1/entities/{world.big}/tax-reports/generate"
    box.inject_fault(202, body=json.dumps({"id": "r-1", "download_url": "/files/r-1.xml"}), path=path)
    box.inject_fault(202, body=json.dumps({"id": "r-2", "queued_jobs": ["../../users/me"]}), path=path)
    async with connect() as client:
        _, none = await generate(client, {"entity_id": world.big, "period": "2025-Q2"})
        box.clear_seen()
        result, bad = await generate(client, {"entity_id": world.big, "period": "2025-Q2"})
    assert none["data"]["jobs"] == [] and none["data"]["download_url"].endswith("/files/r-1.xml")
    assert none["data"]["source"] == "invoices" and "the API queued no job to follow" in none["message"]
    assert result.is_error and bad["code"] == "bad_response" and "queued_jobs" in bad["error"]
    assert [s.path for s in box.seen if "celery" in s.path] == []


# -- the job: failed, slower than the deadline, cancelled -------------------------------------------------


async def test_a_failed_job_is_an_error_naming_the_report_and_the_apis_words(connect, box, world):
    box.set_jobs(2, error="HTKK template 01/GTGT missing")
    async with connect() as client:
        result, body = await generate(client, {"entity_id": world.big, "period": "2025-03"})
    assert result.is_error and body["code"] == "backend_error", body
    report_id = next(reversed(box.state.reports))
    assert "VAT report for 2025-03 was not generated: its job failed" in body["error"]
    assert "The API said: HTKK template 01/GTGT missing." in body["error"] and report_id in body["error"]


async def test_a_job_slower_than_the_deadline_stops_with_the_report_named(connect, box, world):
    box.set_jobs(10_000, delay=600)
    async with connect(call_deadline=2.0) as client:
        await client.call_tool("whoami", {})  # signed in before the clock starts
        with anyio.fail_after(8):  # the deadline and its grace, not a speed target
            result, body = await generate(client, {"entity_id": world.big, "period": "2025-Q1"})
    assert result.is_error and body["code"] == "backend_timeout", body
    report_id = next(reversed(box.state.reports))
    assert f"the report id is {report_id} and its download link http" in body["error"]
    assert (
        f"/tax-reports/{report_id}/download" in body["error"]
        and "(2 s, FINIZI_B4B_CALL_DEADLINE)" in body["error"]
    )
    assert "still started" in body["error"]


async def test_cancelling_the_call_stops_polling(connect, box, world, era):
    box.set_jobs(10_000, delay=600)
    async with connect(era) as client:
        await client.call_tool("whoami", {})
        with anyio.move_on_after(1.0) as scope:
            await client.call_tool("generate_tax_report", {"entity_id": world.big, "period": "2025-Q1"})
        assert scope.cancelled_caught
        await anyio.sleep(0.3)  # a poll in flight when the call was cancelled lands
        job = box.state.jobs[box.state.reports[next(reversed(box.state.reports))]["job_id"]]
        polls = job.polls
        await anyio.sleep(2.5)  # longer than the longest wait between polls
        assert job.polls == polls >= 2


# -- arguments, access, and sending to HTKK ---------------------------------------------------------------


async def test_a_bad_period_is_refused_before_any_request_and_a_future_one_by_the_api(connect, box, world):
    async with connect() as client:
        await client.call_tool("whoami", {})
        box.clear_seen()
        bad = body_of(
            await client.call_tool("generate_tax_report", {"entity_id": world.big, "period": "2025-Q5"})
        )
        assert bad["code"] == "invalid_arguments" and "$.period" in bad["error"] and box.seen == []
        future = body_of(
            await client.call_tool("generate_tax_report", {"entity_id": world.big, "period": "2099-01"})
        )
    assert future["code"] == "validation_failed"
    assert "The API's own words are in api_detail." in future["error"]
    assert "the period has not begun" in future["api_detail"]


async def test_an_entity_the_user_cannot_see_is_not_found(connect, world):
    async with connect() as client:
        body = body_of(
            await client.call_tool(
                "generate_tax_report",
                {"entity_id": "00000000-0000-4000-8000-000000000000", "period": "2025-01"},
            )
        )
    assert body["code"] == "not_found" and "tax report request of entity" in body["error"]


def posts(box) -> list:
    return [s for s in box.seen if s.method == "POST" and s.path.endswith("/tax-reports/generate")]


async def test_read_only_mode_hides_the_htkk_upload_but_not_the_report(connect, box, world, era):
    async with connect(era, read_only=True) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        await client.call_tool("whoami", {})
        box.clear_seen()
        refused = body_of(
            await client.call_tool("send_tax_report_to_htkk", {"entity_id": world.big, "period": "2025-01"})
        )
        assert posts(box) == []
        _, made = await generate(client, {"entity_id": world.big, "period": "2025-01"})
    assert "generate_tax_report" in listed and "send_tax_report_to_htkk" not in listed
    assert refused["code"] == "read_only_mode" and made["success"] is True


class User:
    """An elicitation callback that answers as told and remembers what it was asked."""

    def __init__(self, action: str) -> None:
        self.action, self.asked = action, []

    async def __call__(self, context, params) -> types.ElicitResult:
        self.asked.append(params.message)
        return types.ElicitResult(action=self.action, content={} if self.action == "accept" else None)


@pytest.mark.parametrize("action", ["decline", "accept"])
async def test_sending_to_htkk_is_confirmed_and_a_declined_one_sends_nothing(
    connect, box, world, era, action
):
    user = User(action)
    box.set_jobs(1)
    async with connect(era, elicitation_callback=user) as client:
        await client.call_tool("whoami", {})
        box.clear_seen()
        result, body = await generate(
            client, {"entity_id": world.big, "period": "2025-Q3"}, tool="send_tax_report_to_htkk"
        )
    entity = box.state.entities[world.big]
    of = f"{entity['name']} (MST {entity['tax_id']})"
    assert user.asked == [f"Generate the VAT report for 2025-Q3 of {of} and send it to HTKK?"]
    if action == "decline":
        assert body["code"] == "not_confirmed" and posts(box) == []
        return
    assert not result.is_error and len(posts(box)) == 1
    assert box.state.reports[body["data"]["report_id"]]["upload_htkk"] is True
    assert body["data"]["upload_htkk"] is True and "for the API to send to HTKK" in body["message"]
