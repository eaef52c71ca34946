"""The API's request headers, on every request of every tool, as the sandbox receives them.

Each tool is called through a real MCP client session against a sandbox of
its own, in both id flavours (UUIDs, and integer ids for vendors, products and
invoices). For every request the sandbox saw during the call:

- ``X-Entity-Id`` names the entity of an entity-scoped path, the body's
  entity of the semantic search, and the call's entity on an invoice's
  payments (a path that names none); other paths carry none;
- ``Idempotency-Key`` is a fresh UUID4 on every write except ``/auth/*``, and
  absent on reads and auth requests;
- ``X-Agent-Session-Id`` is one value for the whole process,
  ``X-Agent-Tool-Call-Id`` differs per call, and ``X-Agent-Tool-Name`` names
  the tool.
"""

from __future__ import annotations

import uuid

import pytest
from mcp import Client

from finizi_b4b.api.headers import AGENT_SESSION_ID
from finizi_b4b.config import TOOLSETS
from finizi_b4b.server import build_server
from finizi_b4b.tools import registry
from tests.conftest import body_of, invoice_xml, settings_for

pytestmark = pytest.mark.anyio

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module", params=[False, True], ids=["uuid-ids", "int-ids"])
def box(request):
    from finizi_b4b.sandbox import Sandbox

    with Sandbox.in_thread(seed=3, int_ids=request.param) as sandbox:
        yield sandbox


def _scripted_calls(box) -> list[tuple[str, dict]]:
    entities = list(box.state.entities.values())
    big = entities[0]
    eid = big["id"]
    invoice = box.state.invoices[eid][0]
    vendor = box.state.vendors[eid][0]
    product = box.state.products[eid][0]
    tax_id = "0" + str(uuid.uuid4().int % 10**9).zfill(9)
    issued = next(i for i in box.state.invoices[eid] if i["status"] == "issued")
    xml = invoice_xml("C26THD", big["tax_id"], seller_tax_id="0305556667").decode()
    return [
        ("login", {}),
        ("whoami", {}),
        ("list_entities", {"detailed": True}),
        ("get_entity", {"entity_id": eid}),
        ("create_entity", {"name": "Công ty Tiêu Đề", "tax_id": tax_id}),
        ("update_entity", {"entity_id": eid, "address": "12 Nguyễn Huệ, Quận 1"}),
        ("list_invoices", {"entity_id": eid, "page_size": 3}),
        ("get_invoice", {"entity_id": eid, "invoice_id": invoice["id"]}),
        ("get_invoice_statistics", {"entity_id": eid}),
        ("summarize_invoices", {"entity_id": eid, "group_by": ["vendor"]}),
        ("import_invoice_xml", {"entity_id": eid, "xml_content": xml}),
        ("list_vendors", {"entity_id": eid, "page_size": 3}),
        ("get_vendor", {"entity_id": eid, "vendor_id": vendor["id"]}),
        ("get_vendor", {"entity_id": eid, "tax_id": vendor["tax_id"]}),
        ("list_products", {"entity_id": eid, "page_size": 3}),
        ("search_similar_products", {"entity_id": eid, "query": product["name"], "top_k": 2}),
        ("generate_tax_report", {"entity_id": eid, "period": "2025-Q2"}),
        ("send_tax_report_to_htkk", {"entity_id": eid, "period": "2025-01"}),
        ("get_trial_balance", {"entity_id": eid, "date_from": "2025-04-01", "date_to": "2025-06-30"}),
        (
            "get_general_ledger",
            {"entity_id": eid, "account": "331", "date_from": "2025-04-01", "date_to": "2025-06-30"},
        ),
        ("lookup_company", {"entity_id": eid, "tax_id": vendor["tax_id"]}),
        ("check_suppliers", {"entity_id": eid, "date_from": "2026-01-01", "date_to": "2026-01-31"}),
        ("list_invoice_payments", {"entity_id": eid, "invoice_id": invoice["id"]}),
        (
            "record_payment",
            {"entity_id": eid, "invoice_id": issued["id"], "amount": 1000, "paid_at": issued["issue_date"]},
        ),
        ("logout", {}),
    ]


def _check(seen, tool: str, arguments: dict, eid: str) -> list[str]:
    problems = []
    for req in seen:
        where = f"{tool}: {req.method} {req.path}"
        h = req.headers
        if h.get("x-agent-session-id") != AGENT_SESSION_ID:
            problems.append(f"{where}: X-Agent-Session-Id {h.get('x-agent-session-id')!r}")
        if h.get("x-agent-tool-name") != tool:
            problems.append(f"{where}: X-Agent-Tool-Name {h.get('x-agent-tool-name')!r}")
        if not h.get("x-agent-tool-call-id"):
            problems.append(f"{where}: no X-Agent-Tool-Call-Id")
        if req.path.startswith("/api/v1/entities/"):
            wanted = req.path.split("/")[4]
        elif req.path.startswith("/api/v1/semantic-search/") or (
            req.path.startswith("/api/v1/invoices/") and req.path.endswith("/payments")
        ):
            wanted = eid
        else:
            wanted = None
        if h.get("x-entity-id") != wanted:
            problems.append(f"{where}: X-Entity-Id {h.get('x-entity-id')!r}, wanted {wanted!r}")
        key = h.get("idempotency-key")
        if req.method in WRITES and not req.path.startswith("/api/v1/auth/"):
            if key is None or uuid.UUID(key).version != 4:
                problems.append(f"{where}: Idempotency-Key {key!r}")
        elif key is not None:
            problems.append(f"{where}: unexpected Idempotency-Key")
    return problems


async def test_every_request_of_every_tool_carries_its_headers(box, era):
    calls = _scripted_calls(box)
    assert {tool for tool, _ in calls} == set(registry()), "a tool is missing from this test"
    eid = next(iter(box.state.entities.values()))["id"]
    problems: list[str] = []
    call_ids: list[str] = []
    keys: list[str] = []
    async with Client(build_server(settings_for(box, toolsets=TOOLSETS)), mode=era) as client:
        for tool, arguments in calls:
            box.clear_seen()
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, (tool, body_of(result))
            seen = box.seen
            assert seen, f"{tool} made no request"
            problems += _check(seen, tool, arguments, eid)
            call_ids.append({r.headers.get("x-agent-tool-call-id") for r in seen}.pop())
            keys += [r.headers["idempotency-key"] for r in seen if "idempotency-key" in r.headers]
    assert not problems, "\n".join(problems)
    assert len(set(call_ids)) == len(calls), "each tool call has its own X-Agent-Tool-Call-Id"
    assert len(set(keys)) == len(keys) >= 4, "every write has a key of its own"


async def test_the_backend_audits_each_mutation_with_the_tool_that_made_it(box):
    box.clear_audit()
    eid = next(iter(box.state.entities.values()))["id"]
    async with Client(build_server(settings_for(box))) as client:
        await client.call_tool("login", {})
        result = await client.call_tool("update_entity", {"entity_id": eid, "phone": "0283 999 0000"})
        assert not result.is_error, body_of(result)
    rows = [row for row in box.audit if row["method"] == "PUT"]
    assert len(rows) == 1
    assert rows[0]["tool_name"] == "update_entity" and rows[0]["session_id"] == AGENT_SESSION_ID
    assert rows[0]["entity_id"] == str(eid).lower() and rows[0]["tool_call_id"]
