"""The quarterly_vat_review prompt through a real client session: its calls, its quarter, where offered."""

from __future__ import annotations

import datetime as dt

import mcp.types as types
import pytest
from mcp import MCPError

from finizi_b4b.router import ToolRouter
from tests.conftest import body_of
from tests.integration.test_prompts import text_of, tool_calls

pytestmark = pytest.mark.anyio

PROMPT = "quarterly_vat_review"


async def test_the_review_asks_for_the_report_suppliers_and_unpaid_purchases_of_the_quarter(
    connect, world, era
):
    async with connect(era) as client:
        text = text_of(await client.get_prompt(PROMPT, {"company": world.big, "quarter": "2024-Q1"}))
        calls = tool_calls(text)
        assert [tool for tool, _ in calls] == ["generate_tax_report", "check_suppliers", "summarize_invoices"]
        report, suppliers, unpaid = (arguments for _, arguments in calls)
        assert report == {"entity_id": world.big, "report_type": "vat", "period": "2024-Q1"}
        period = {"entity_id": world.big, "date_from": "2024-01-01", "date_to": "2024-03-31"}
        assert suppliers == period
        assert unpaid == {
            **period,
            "direction": "purchase",
            "payment_status": "unpaid",
            "group_by": ["vendor"],
        }
        ToolRouter().validate("generate_tax_report", report)  # raises on arguments the tool would refuse
        body = body_of(await client.call_tool("generate_tax_report", report))  # and it runs as written
    assert body["success"] is True and body["data"]["period"] == "2024-Q1"
    assert "2024-01-01 to 2024-03-31" in text and "what to check" in text.lower()


@pytest.mark.parametrize(
    ("quarter", "words"),
    [
        ("2026-Q5", "quarter must be a quarter as YYYY-Qn"),
        ("2026-03", "quarter must be a quarter as YYYY-Qn"),
        (f"{dt.date.today().year + 1}-Q1", "quarter must be a quarter that has begun"),
    ],
)
async def test_a_bad_quarter_is_invalid_params(connect, world, quarter, words):
    async with connect() as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt(PROMPT, {"company": world.big, "quarter": quarter})
    assert caught.value.error.code == types.INVALID_PARAMS and words in caught.value.error.message


async def test_recent_quarters_are_completed_newest_first(connect, era):
    today = dt.date.today()
    current = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    async with connect(era) as client:
        every = (
            await client.complete(types.PromptReference(name=PROMPT), {"name": "quarter", "value": ""})
        ).completion
        last_year = (
            await client.complete(
                types.PromptReference(name=PROMPT), {"name": "quarter", "value": f"{today.year - 1}-q"}
            )
        ).completion
    assert every.values[0] == current and len(every.values) == 8 == every.total
    assert every.values == sorted(every.values, reverse=True)
    assert last_year.values and all(q.startswith(f"{today.year - 1}-Q") for q in last_year.values)


async def test_it_is_not_offered_when_the_reports_toolset_is_not_served(connect, world, era):
    async with connect(era, toolsets=("core", "invoices", "registry")) as client:
        listed = [prompt.name for prompt in (await client.list_prompts()).prompts]
        with pytest.raises(MCPError) as caught:
            await client.get_prompt(PROMPT, {"company": world.big, "quarter": "2025-Q1"})
        offered = await client.complete(types.PromptReference(name=PROMPT), {"name": "quarter", "value": ""})
    assert PROMPT not in listed and "monthly_vat_review" in listed
    assert caught.value.error.code == types.INVALID_PARAMS
    assert (
        "generate_tax_report" in caught.value.error.message
        and "FINIZI_B4B_TOOLSETS" in caught.value.error.message
    )
    assert offered.completion.values == []
