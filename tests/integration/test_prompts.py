"""MCP prompts and argument completion through a real client session, in both protocol eras."""

from __future__ import annotations

import json
import os

import mcp.types as types
import pytest
from mcp import MCPError

from finizi_b4b.router import ToolRouter
from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN
from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio

PROMPT_NAMES = ["monthly_vat_review", "quarterly_vat_review", "vendor_spend_review", "import_invoice_folder"]


def tool_calls(text: str) -> list[tuple[str, dict]]:
    """Every ``<tool> with {json}`` a prompt asks for, in order."""
    decoder, found, start = json.JSONDecoder(), [], 0
    while (at := text.find(" with {", start)) != -1:
        tool = text[:at].rsplit(" ", 1)[-1]
        arguments, end = decoder.raw_decode(text, at + len(" with "))
        found.append((tool, arguments))
        start = end
    return found


def text_of(result: types.GetPromptResult) -> str:
    assert len(result.messages) == 1 and result.messages[0].role == "user"
    return result.messages[0].content.text


async def companies(client, value: str = "", prompt: str = "monthly_vat_review") -> list[str]:
    answer = await client.complete(types.PromptReference(name=prompt), {"name": "company", "value": value})
    assert answer.completion.total == len(answer.completion.values)
    return answer.completion.values


async def test_prompts_are_listed_with_their_arguments(connect, era):
    async with connect(era) as client:
        listed = (await client.list_prompts()).prompts
    assert [p.name for p in listed] == PROMPT_NAMES
    arguments = {p.name: [(a.name, a.required) for a in p.arguments] for p in listed}
    assert arguments == {
        "monthly_vat_review": [("company", True), ("month", True)],
        "quarterly_vat_review": [("company", True), ("quarter", True)],
        "vendor_spend_review": [("company", True), ("date_from", True), ("date_to", True), ("top", False)],
        "import_invoice_folder": [("company", True), ("folder", True)],
    }
    assert all(p.title and p.description for p in listed)
    assert all(a.description for p in listed for a in p.arguments)
    company = next(a for a in listed[0].arguments if a.name == "company")
    assert "name, tax id (MST) or id" in company.description


async def test_the_monthly_vat_review_asks_for_valid_calls_of_that_month(connect, world, era):
    router = ToolRouter()
    async with connect(era) as client:
        result = await client.get_prompt("monthly_vat_review", {"company": world.big, "month": "2024-02"})
    text = text_of(result)
    assert "February 2024" in text and "2024-02-01 to 2024-02-29" in text  # a leap year
    calls = tool_calls(text)
    assert [tool for tool, _ in calls] == ["summarize_invoices", "summarize_invoices", "list_invoices"]
    for tool, arguments in calls:
        router.validate(tool, arguments)  # raises on arguments the tool would refuse
        assert arguments["entity_id"] == world.big
        assert (arguments["date_from"], arguments["date_to"]) == ("2024-02-01", "2024-02-29")
    assert calls[0][1]["group_by"] == ["direction", "status"]


async def test_the_vendor_spend_review_runs_as_written(connect, world, era):
    arguments = {"company": world.big, "date_from": "2026-01-01", "date_to": "2026-06-30", "top": "5"}
    async with connect(era) as client:
        text = text_of(await client.get_prompt("vendor_spend_review", arguments))
        tool, call = tool_calls(text)[0]
        assert (tool, call["top"], call["direction"]) == ("summarize_invoices", 5, "purchase")
        assert call["group_by"] == ["vendor"]
        body = body_of(await client.call_tool(tool, call))  # the call the prompt asks for works as given
    assert body["success"] is True and len(body["data"]["groups"]) == 6  # five and "others"


async def test_the_folder_import_lists_the_xml_files_and_its_preview_works(
    connect, sandbox, world, era, tmp_path
):
    for number in ("1", "2"):
        (tmp_path / f"inv-{number}.XML").write_bytes(invoice_xml("C26TPR", world.big_tax_id))
    (tmp_path / "notes.txt").write_text("not an invoice")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "inv-1.XML", tmp_path / "link.xml")
    async with connect(era) as client:
        arguments = {"company": world.big, "folder": str(tmp_path)}
        text = text_of(await client.get_prompt("import_invoice_folder", arguments))
        (tool, call), *_ = tool_calls(text)
        assert tool == "import_invoice_xml" and call["preview"] is True
        assert call["file_paths"] == [str(tmp_path / "inv-1.XML"), str(tmp_path / "inv-2.XML")]
        before = len(sandbox.state.invoices[world.big])
        body = body_of(await client.call_tool(tool, call))
    assert body["data"]["counts"]["new"] == 2
    assert len(sandbox.state.invoices[world.big]) == before  # a preview: nothing uploaded


async def test_a_folder_without_xml_files_says_so(connect, world, tmp_path):
    async with connect() as client:
        arguments = {"company": world.big, "folder": str(tmp_path)}
        text = text_of(await client.get_prompt("import_invoice_folder", arguments))
    assert text.startswith(f"There are no .xml files in {tmp_path}.")
    assert tool_calls(text) == []


@pytest.mark.parametrize(
    ("name", "arguments", "words"),
    [
        ("monthly_vat_review", {"company": "x" * 201, "month": "2026-03"},
         "company must be a company's name, tax id (MST) or id, of at most 200 characters"),
        ("monthly_vat_review", {"company": "  ", "month": "2026-03"}, "company must be a company's name"),
        ("monthly_vat_review", {"month": "2026-03"}, "'company' is required"),
        ("monthly_vat_review", {"entity_id": "12", "month": "2026-03"}, "unknown argument 'entity_id'"),
        ("monthly_vat_review", {"company": "12", "month": "2026-13"}, "month must be a month as YYYY-MM"),
        ("monthly_vat_review", {"company": "12"}, "'month' is required"),
        ("vendor_spend_review", {"company": "12", "date_from": "2026-02-01", "date_to": "2026-01-01"},
         "date_from is after date_to"),
        ("vendor_spend_review", {"company": "12", "date_from": "2026-01-01", "date_to": "2026-02-30"},
         "date_to must be a date"),
        ("import_invoice_folder", {"company": "12", "folder": "invoices"},
         "folder must be an absolute path"),
        ("import_invoice_folder", {"company": "12", "folder": "/nonexistent/folder"},
         "Cannot read the folder"),
        ("monthly_vat_review", {"company": "12", "month": "2026-03", "extra": "1"},
         "unknown argument 'extra'"),
        ("no_such_prompt", {}, "There is no prompt named 'no_such_prompt'"),
    ],
)  # fmt: skip
async def test_bad_prompt_arguments_are_invalid_params(connect, era, name, arguments, words):
    async with connect(era) as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt(name, arguments)
    assert caught.value.error.code == types.INVALID_PARAMS
    assert words in caught.value.error.message


# -- completion ------------------------------------------------------------------------------------


async def test_companies_are_completed_by_name_and_tax_id_from_the_signed_in_users_entities(
    connect, sandbox, world, era
):
    def offered(entity_id: str) -> str:
        entity = sandbox.state.entities[entity_id]
        return f"{entity['name']} (MST {entity['tax_id']})"

    async with connect(era) as client:  # credentials configured: the server signs in by itself
        everything = await companies(client)
        admin = next(uid for uid, user in sandbox.state.users.items() if user["email"] == DEMO_ADMIN.email)
        theirs = {offered(eid) for (user_id, eid) in sandbox.state.memberships if user_id == admin}
        assert set(everything) == theirs >= {offered(world.big), offered(world.accountants)}
        assert not any(
            value in (world.big, world.accountants, world.third) for value in everything
        )  # no UUIDs
        assert await companies(client, world.accountants[:6].upper()) == [offered(world.accountants)]
        assert await companies(client, "sao viet") == [offered(world.big)]  # found without the diacritics
        assert offered(world.big) in await companies(
            client, world.big_tax_id[:5], prompt="vendor_spend_review"
        )
        assert await companies(client, "no such company") == []
    assert "Sao Việt" in offered(world.big)


async def test_another_user_completes_only_their_own_companies(connect, sandbox, world, era):
    async with connect(era, phone=DEMO_ACCOUNTANT.phone, password=DEMO_ACCOUNTANT.password) as client:
        values = await companies(client)
    entity = sandbox.state.entities[world.accountants]
    assert values == [f"{entity['name']} (MST {entity['tax_id']})"]


async def test_completion_offers_nothing_rather_than_an_error(connect, sandbox, world, era):
    async with connect(era, phone=None, password=None) as client:  # nobody signed in, no credentials
        assert await companies(client) == []
    async with connect(era) as client:
        sandbox.inject_fault(503, count=20, path="/api/v1/users/me/entities")
        assert await companies(client) == []
        sandbox.clear_faults()
        assert len(await companies(client)) >= 3  # and the next completion works


# -- the company as a person names it ----------------------------------------------------------------


async def test_a_company_named_by_name_tax_id_id_or_completion_value_is_told_as_its_entity(
    connect, sandbox, world, era
):
    entity = sandbox.state.entities[world.big]
    ways = [
        "sao viet",  # a part of the name, accents aside
        "CÔNG TY TNHH THƯƠNG MẠI DỊCH VỤ SAO VIỆT",  # the whole name in capitals
        entity["tax_id"],  # the MST
        world.big.upper(),  # the id
        f"{entity['name']} (MST {entity['tax_id']})",  # as completion offers it
    ]
    async with connect(era) as client:
        for way in ways:
            text = text_of(
                await client.get_prompt("monthly_vat_review", {"company": way, "month": "2026-03"})
            )
            assert text.startswith(
                f"Review the VAT of {entity['name']} (MST {entity['tax_id']}, entity_id "
            ), way
            assert not text.startswith("First find")
            assert {call["entity_id"] for _, call in tool_calls(text)} == {world.big}, way


async def test_a_company_that_cannot_be_told_is_found_first_by_the_model(connect, sandbox, world, era):
    async with connect(era) as client:
        text = text_of(
            await client.get_prompt("monthly_vat_review", {"company": "Hải Âu", "month": "2026-03"})
        )
        several = text_of(
            await client.get_prompt("quarterly_vat_review", {"company": "sao", "quarter": "2026-Q1"})
        )
    assert text.startswith('First find the company "Hải Âu": call list_entities')
    assert "ask the user which company they mean" in text and "It may be one of" not in text
    assert {call["entity_id"] for _, call in tool_calls(text)} == {"<entity_id>"}
    first = several.split("\n", 1)[0]
    assert first.startswith('First find the company "sao"') and "It may be one of: " in first
    for eid in (world.big, world.accountants):  # "Sao Việt" and "Sao Mai"
        assert f"MST {sandbox.state.entities[eid]['tax_id']}, entity_id {eid})" in first
    async with connect(era, phone=None, password=None) as client:  # the companies cannot be read
        named = text_of(
            await client.get_prompt("monthly_vat_review", {"company": "Sao Mai", "month": "2026-03"})
        )
        by_id = text_of(
            await client.get_prompt("monthly_vat_review", {"company": world.big, "month": "2026-03"})
        )
    assert named.startswith('First find the company "Sao Mai"')
    assert by_id.startswith(f"Review the VAT of entity {world.big} for March 2026")
    assert {call["entity_id"] for _, call in tool_calls(by_id)} == {world.big}


async def test_months_dates_and_folders_are_completed(connect, era, tmp_path):
    (tmp_path / "invoices-2026").mkdir()
    (tmp_path / "invoices-2025").mkdir()
    (tmp_path / "invoices.txt").write_text("")
    ref = types.PromptReference(name="vendor_spend_review")
    async with connect(era) as client:
        months = await client.complete(
            types.PromptReference(name="monthly_vat_review"), {"name": "month", "value": ""}
        )
        starts = await client.complete(ref, {"name": "date_from", "value": ""})
        ends = await client.complete(ref, {"name": "date_to", "value": ""})
        folders = await client.complete(
            types.PromptReference(name="import_invoice_folder"),
            {"name": "folder", "value": str(tmp_path / "invoices-")},
        )
        nope = types.PromptReference(name="nope")
        unknown = await client.complete(nope, {"name": "company", "value": ""})
    assert len(months.completion.values) == 24
    assert all(len(m) == 7 and m[4] == "-" for m in months.completion.values)
    assert months.completion.values == sorted(months.completion.values, reverse=True)
    assert all(d[5:] in ("01-01", "04-01", "07-01", "10-01") for d in starts.completion.values)
    assert all(d[5:] in ("03-31", "06-30", "09-30", "12-31") for d in ends.completion.values)
    assert folders.completion.values == [str(tmp_path / "invoices-2025"), str(tmp_path / "invoices-2026")]
    assert unknown.completion.values == []
