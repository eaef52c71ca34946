"""The sandbox's wire behaviour of contract revision 2, over real HTTP on loopback.

The headers the backend reads (recorded in ``box.seen``), the audit of agent
mutations, Idempotency-Key, lost answers, and the semantic search's X-Entity-Id.
"""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest

from finizi_b4b.sandbox import SeenRequest
from finizi_b4b.sandbox.context import SETTINGS
from tests.integration.sandbox.client import API, big, count_invoices, upload, xml

pytestmark = pytest.mark.anyio

AGENT = {
    "X-Agent-Session-Id": "session-1",
    "X-Agent-Tool-Call-Id": "7",
    "X-Agent-Tool-Name": "import_invoice_xml",
}
CONFLICT = "Idempotency-Key was already used for a different request"


# -- seen requests ---------------------------------------------------------------------------------


async def test_seen_records_the_headers_that_matter_and_never_the_token(api):
    eid = big(api.box)["id"]
    api.box.clear_seen()
    headers = {**AGENT, "X-Entity-Id": eid, "Idempotency-Key": "k-1", "X-Other": "not kept"}
    await api.ok("GET", f"{API}/entities/{eid}/invoices", params={"page_size": "3"}, headers=headers)
    await api.ok("GET", "/_sandbox/stats")  # control endpoints are not API requests
    assert len(api.box.seen) == 1
    seen = api.box.seen[0]
    assert isinstance(seen, SeenRequest)
    assert (seen.method, seen.path, seen.query) == ("GET", f"{API}/entities/{eid}/invoices", "page_size=3")
    assert seen.headers == {
        "x-entity-id": eid,
        "idempotency-key": "k-1",
        "x-agent-session-id": "session-1",
        "x-agent-tool-call-id": "7",
        "x-agent-tool-name": "import_invoice_xml",
    }
    assert api.token not in repr(api.box.seen) and "authorization" not in repr(api.box.seen).lower()
    await api.call("POST", f"{API}/entities/{eid}/vendors/search-by-tax-id", json={"tax_id": "0316247298"})
    assert api.box.seen[-1].headers == {"content-type": "application/json"}
    api.box.clear_seen()
    assert api.box.seen == []


async def test_seen_includes_faulted_requests_and_is_bounded(api):
    api.box.clear_seen()
    api.box.inject_fault(503)
    assert (await api.call("GET", f"{API}/users/me"))[0] == 503
    assert [s.path for s in api.box.seen] == [f"{API}/users/me"]
    kept = api.box.app[SETTINGS].seen
    kept.extend(SeenRequest("GET", "/x", "", {}) for _ in range(10_050))
    assert len(api.box.seen) == 10_000
    served = await api.ok("GET", "/_sandbox/seen")
    assert len(served) == 10_000 and served[-1] == {"method": "GET", "path": "/x", "query": "", "headers": {}}
    await api.ok("DELETE", "/_sandbox/seen")
    assert api.box.seen == []


# -- the audit -------------------------------------------------------------------------------------


async def test_audit_rows_for_agent_mutations_only(api):
    eid = big(api.box)["id"]
    status, created, _, _ = await upload(api, xml(api.box), headers={**AGENT, "X-Entity-Id": eid})
    assert status == 201
    await upload(api, xml(api.box))  # no agent headers: no row
    await api.ok("GET", f"{API}/entities/{eid}/invoices", headers=AGENT)  # not a mutation
    duplicate = await upload(api, xml(api.box, number=created["invoice_number"]), headers=AGENT)
    assert duplicate[0] == 409  # not successful: no row
    status, entity, _, _ = await api.call(
        "POST",
        f"{API}/entities",
        json={"name": "Công ty Kiểm Toán", "tax_id": "0399999991"},
        headers={"X-Agent-Session-Id": "session-1", "X-Agent-Tool-Name": "create_entity"},
    )
    assert status == 201
    rows = [
        {
            "method": "POST",
            "path": f"{API}/entities/{eid}/invoices/xml",
            "status": 201,
            "session_id": "session-1",
            "tool_call_id": "7",
            "tool_name": "import_invoice_xml",
            "entity_id": eid,
        },
        {
            "method": "POST",
            "path": f"{API}/entities",
            "status": 201,
            "session_id": "session-1",
            "tool_call_id": None,
            "tool_name": "create_entity",
            "entity_id": None,
        },
    ]
    assert api.box.audit == rows
    assert await api.ok("GET", "/_sandbox/audit") == rows
    await api.ok("DELETE", "/_sandbox/audit")
    assert api.box.audit == [] and await api.ok("GET", "/_sandbox/audit") == []
    updated = await api.call("PUT", f"{API}/entities/{entity['id']}", json={"name": "Mới"}, headers=AGENT)
    assert updated[0] == 200 and [row["entity_id"] for row in api.box.audit] == [entity["id"]]


# -- Idempotency-Key -----------------------------------------------------------------------------


async def test_a_repeated_key_replays_the_first_answer_without_acting_again(api):
    body = {"name": "Công ty Một Lần", "tax_id": "0388888881"}
    key = {"Idempotency-Key": str(uuid.uuid4()), **AGENT}
    first = await api.call("POST", f"{API}/entities", json=body, headers=dict(key))
    entities = len(api.box.state.entities)
    second = await api.call("POST", f"{API}/entities", json=body, headers=dict(key))
    assert first[0] == second[0] == 201 and first[1] == second[1]
    assert second[2]["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first[2]
    assert len(api.box.state.entities) == entities and len(api.box.audit) == 1
    status, answer, _, _ = await api.call(
        "POST", f"{API}/entities", json={**body, "name": "Khác"}, headers=dict(key)
    )
    assert (status, answer) == (422, {"detail": CONFLICT})
    other_path = await api.call("PUT", f"{API}/entities/{first[1]['id']}", json=body, headers=dict(key))
    assert other_path[:2] == (422, {"detail": CONFLICT})
    fresh = await api.call("POST", f"{API}/entities", json=body, headers={"Idempotency-Key": "another"})
    assert fresh[0] == 409  # without the replay the same body is a duplicate


async def test_a_repeated_key_replays_errors_and_multipart_uploads_by_content(api):
    content = xml(api.box)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = count_invoices(api.box)
    first = await upload(api, content, headers=key)
    again = await upload(api, content, headers=key)  # another boundary, the same request
    assert first[0] == again[0] == 201 and first[1]["id"] == again[1]["id"]
    assert count_invoices(api.box) == before + 1
    assert (await upload(api, xml(api.box), headers=key))[:2] == (422, {"detail": CONFLICT})
    assert (await upload(api, content, headers=key, auto_classify="false"))[0] == 422  # another query
    refused = {"Idempotency-Key": str(uuid.uuid4())}
    one = await upload(api, content, headers=refused)
    two = await upload(api, content, headers=refused)
    assert one[0] == two[0] == 409 and one[1] == two[1] and two[2]["Idempotent-Replayed"] == "true"


async def test_the_same_key_twice_at_once_acts_once(api):
    content = xml(api.box)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = count_invoices(api.box)
    api.box.inject_fault(None, delay=0.2, path=f"{API}/entities/", method="POST")  # the first one is slow
    one, two = await asyncio.gather(upload(api, content, headers=key), upload(api, content, headers=key))
    assert one[0] == two[0] == 201 and one[1]["id"] == two[1]["id"]
    assert count_invoices(api.box) == before + 1


async def test_a_5xx_answer_is_not_kept_so_the_retry_acts(api):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    content = xml(api.box)
    api.box.inject_fault(503, path=f"{API}/entities/", method="POST")
    assert (await upload(api, content, headers=key))[0] == 503
    assert (await upload(api, content, headers=key))[0] == 201


# -- lost answers ----------------------------------------------------------------------------------


async def test_lose_answer_acts_once_then_drops_the_connection(api):
    content = xml(api.box)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = count_invoices(api.box)
    fault = api.box.inject_fault(kind="lose_answer", path=f"{API}/entities/", method="POST")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await upload(api, content, headers=key)
    assert count_invoices(api.box) == before + 1 and fault.count == 0
    status, replayed, headers, _ = await upload(api, content, headers=key)  # the retry, same key
    assert status == 201 and headers["Idempotent-Replayed"] == "true"
    assert count_invoices(api.box) == before + 1
    newest = api.box.state.invoice_index[replayed["id"]]
    assert newest["invoice_number"] == replayed["invoice_number"]
    assert (await api.call("GET", f"{API}/users/me"))[0] == 200  # the fault is used up


async def test_lose_answer_through_the_control_endpoint(api):
    status, fault, _, _ = await api.call(
        "POST", "/_sandbox/faults", json={"kind": "lose_answer", "path": f"{API}/entities", "method": "POST"}
    )
    assert status == 201 and fault["kind"] == "lose_answer"
    before = len(api.box.state.entities)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("POST", f"{API}/entities", json={"name": "Mất", "tax_id": "0377777771"})
    assert len(api.box.state.entities) == before + 1
    assert (await api.call("POST", "/_sandbox/faults", json={"kind": "explode"}))[0] == 422


@pytest.mark.parametrize(
    ("listed", "message"),
    [("faults", "faults cleared"), ("audit", "audit cleared"), ("seen", "seen requests cleared")],
)
async def test_each_clearing_control_endpoint_empties_its_own_list_only(api, listed, message):
    box = api.box.app[SETTINGS]
    api.box.inject_fault(503, path="/nowhere")
    box.audit.append({"method": "POST", "path": "/nowhere"})
    box.seen.append(SeenRequest("GET", "/nowhere", "", {}))
    assert await api.ok("DELETE", f"/_sandbox/{listed}") == {"message": message}
    lengths = {"faults": len(box.faults), "audit": len(box.audit), "seen": len(box.seen)}
    assert lengths[listed] == 0
    assert all(length > 0 for name, length in lengths.items() if name != listed), lengths


# -- the semantic search's X-Entity-Id ------------------------------------------------------------------


async def test_semantic_search_requires_x_entity_id(api):
    eid = big(api.box)["id"]
    other = list(api.box.state.entities)[1]
    url = f"{API}/semantic-search/products/search"
    body = {"entity_id": eid, "query_text": "giấy in", "top_k": 3, "min_similarity": 0}
    status, answer, _, _ = await api.call("POST", url, json=body)
    assert status == 422
    missing = {"type": "missing", "loc": ["header", "x-entity-id"], "msg": "Field required", "input": None}
    assert answer == {"detail": [missing]}
    status, answer, _, _ = await api.call("POST", url, json=body, headers={"X-Entity-Id": other})
    assert status == 403 and isinstance(answer["detail"], str)
    results = await api.ok("POST", url, json=body, headers={"X-Entity-Id": eid.upper()})
    assert 1 <= len(results) <= 3
    status, answer, _, _ = await api.call("POST", url, json={"top_k": 0})
    locs = [item["loc"] for item in answer["detail"]]
    assert status == 422 and locs[0] == ["header", "x-entity-id"] and ["body", "top_k"] in locs
