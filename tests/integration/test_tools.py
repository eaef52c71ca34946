"""Every tool through a real MCP client session against the sandbox, in both protocol eras.

Each tool has a success case and its failure cases: schema violation, not
found, no access, the backend's 409/422, and the backend being down.
"""

from __future__ import annotations

import json
import uuid

import pytest

from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN
from finizi_b4b.tools.messages import NOT_LOGGED_IN
from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def call(client, tool: str, arguments: dict | None = None) -> dict:
    return body_of(await client.call_tool(tool, arguments or {}))


async def ok(client, tool: str, arguments: dict | None = None) -> dict:
    body = await call(client, tool, arguments)
    assert body["success"] is True, body
    return body


async def failure(client, tool: str, arguments: dict | None, code: str) -> dict:
    result = await client.call_tool(tool, arguments or {})
    body = body_of(result)
    assert result.is_error, body
    assert body["success"] is False
    assert body["code"] == code, body
    return body


async def fails(client, tool: str, arguments: dict | None, code: str) -> str:
    return (await failure(client, tool, arguments, code))["error"]


async def api_words(client, tool: str, arguments: dict | None, code: str) -> str:
    """The API's own words of a failure: quoted apart, never spliced into the server's sentence."""
    body = await failure(client, tool, arguments, code)
    assert "The API's own words are in api_detail." in body["error"]
    return body["api_detail"]


def unique_tax_id() -> str:
    return f"08{uuid.uuid4().int % 10**8:08d}"


# -- auth -----------------------------------------------------------------------


async def test_login_with_the_environment_credentials_names_the_user(connect, era):
    async with connect(era) as client:
        body = await ok(client, "login")
        assert body["user"]["email"] == DEMO_ADMIN.email
        assert "Logged in as Quản trị viên Finizi" in body["message"]
        assert "token" not in json.dumps(body).lower()


async def test_login_with_explicit_local_phone(connect, era):
    async with connect(era, phone=None, password=None) as client:
        body = await ok(client, "login", {"phone": "0901234567", "password": DEMO_ACCOUNTANT.password})
        assert body["user"]["phone"] == DEMO_ACCOUNTANT.phone


async def test_login_wrong_password(connect, era):
    async with connect(era) as client:
        error = await api_words(
            client, "login", {"phone": DEMO_ADMIN.phone, "password": "Wrong123@"}, "invalid_credentials"
        )
        assert "Incorrect phone number or password" in error
        assert "Wrong123@" not in error


async def test_login_without_credentials_anywhere(connect, era):
    async with connect(era, phone=None, password=None) as client:
        error = await fails(client, "login", {}, "missing_credentials")
        assert "FINIZI_PHONE" in error


async def test_login_schema_violation(connect, era):
    async with connect(era) as client:
        error = await fails(
            client, "login", {"phone": "x" * 100, "password": "p", "otp": 1}, "invalid_arguments"
        )
        assert "$.phone" in error and "otp" in error


async def test_login_half_credentials(connect, era):
    async with connect(era) as client:
        await fails(client, "login", {"phone": DEMO_ADMIN.phone}, "invalid_arguments")


async def test_whoami_before_login_says_log_in_first(connect, era):
    async with connect(era, phone=None, password=None) as client:  # with none configured (else: signs in)
        error = await fails(client, "whoami", {}, "not_authenticated")
        assert error == NOT_LOGGED_IN


async def test_every_session_tool_before_login_says_log_in_first(connect, world):
    calls = {
        "logout": {},
        "list_entities": {},
        "get_entity": {"entity_id": world.big},
        "list_invoices": {"entity_id": world.big},
        "get_invoice_statistics": {"entity_id": world.big},
        "list_vendors": {"entity_id": world.big},
        "list_products": {"entity_id": world.big},
        "search_similar_products": {"entity_id": world.big, "query": "giấy in"},
    }
    async with connect(phone=None, password=None) as client:
        for tool, arguments in calls.items():
            assert await fails(client, tool, arguments, "not_authenticated") == NOT_LOGGED_IN


async def test_whoami_after_login(connect, era):
    async with connect(era) as client:
        await ok(client, "login")
        body = await ok(client, "whoami")
        assert body["user"]["is_super_admin"] is True


async def test_logout_then_any_tool_is_not_logged_in(connect, era, sandbox, world):
    async with connect(era) as client:
        await ok(client, "login")
        assert (await ok(client, "logout"))["message"] == "Logged out."
        assert (
            await fails(client, "list_invoices", {"entity_id": world.big}, "not_authenticated")
            == NOT_LOGGED_IN
        )
        assert await fails(client, "whoami", {}, "not_authenticated") == NOT_LOGGED_IN


async def test_logout_revokes_the_tokens_at_the_api(connect, sandbox):
    async with connect() as client:
        await ok(client, "login")
        access, refresh = sandbox.issued_tokens[-2:]
        await ok(client, "logout")
    assert access not in sandbox.state.access_tokens
    assert refresh not in sandbox.state.refresh_tokens


# -- entities -----------------------------------------------------------------------


async def test_list_entities_keeps_vietnamese_text_unescaped(connect, era):
    async with connect(era) as client:
        await ok(client, "login")
        result = await client.call_tool("list_entities", {"detailed": True})
        text = result.content[0].text
        assert "Công ty TNHH Thương mại Dịch vụ Sao Việt" in text and "\\u" not in text
        data = body_of(result)["data"]
        assert data["total"] == len(data["items"]) >= 3
        assert all(item["invoice_count"] >= 0 and item["role"] == "owner" for item in data["items"])


async def test_list_entities_schema_violation(connect):
    async with connect() as client:
        await ok(client, "login")
        assert "$.detailed" in await fails(client, "list_entities", {"detailed": "yes"}, "invalid_arguments")


async def test_get_entity(connect, era, world):
    async with connect(era) as client:
        await ok(client, "login")
        data = (await ok(client, "get_entity", {"entity_id": world.big}))["data"]
        assert data["tax_id"] == world.big_tax_id and data["invoice_count"] >= 600


async def test_get_entity_not_found(connect, era):
    async with connect(era) as client:
        await ok(client, "login")
        error = await fails(client, "get_entity", {"entity_id": UNKNOWN_ID}, "not_found")
        assert "not found or not accessible" in error


async def test_get_entity_of_another_company_reads_as_not_found(connect, era, world):
    async with connect(era) as client:
        await ok(client, "login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password})
        forbidden = await fails(client, "get_entity", {"entity_id": world.big}, "not_found")
        missing = await fails(client, "get_entity", {"entity_id": UNKNOWN_ID}, "not_found")
        # 403 and 404 read the same, so that ids cannot be probed
        assert forbidden.replace(world.big, "X") == missing.replace(UNKNOWN_ID, "X")


@pytest.mark.parametrize(
    "bad_id", ["../../users/me", "..%2f..%2fusers", "d4713d60-c8a7-4639-ab11-67b367a9c37/", ""]
)
async def test_traversal_like_ids_never_reach_the_api(connect, sandbox, bad_id):
    async with connect() as client:
        await ok(client, "login")
        before = sum(sandbox.counts.values())
        error = await fails(client, "get_entity", {"entity_id": bad_id}, "invalid_arguments")
        assert "$.entity_id" in error
        assert sum(sandbox.counts.values()) == before


async def test_create_entity(connect, era):
    tax_id = unique_tax_id()
    async with connect(era) as client:
        await ok(client, "login")
        body = await ok(client, "create_entity", {"name": "Công ty TNHH Hoa Sen Vàng", "tax_id": tax_id})
        assert body["data"]["role"] == "owner" and body["data"]["tax_id"] == tax_id
        listed = (await ok(client, "list_entities"))["data"]["items"]
        assert body["data"]["id"] in {item["id"] for item in listed}


async def test_create_entity_duplicate_tax_id_is_a_conflict(connect, era, world):
    async with connect(era) as client:
        await ok(client, "login")
        error = await api_words(
            client, "create_entity", {"name": "Bản sao", "tax_id": world.big_tax_id}, "conflict"
        )
        assert world.big_tax_id in error


async def test_create_entity_schema_violations(connect):
    async with connect() as client:
        await ok(client, "login")
        error = await fails(client, "create_entity", {"tax_id": "12345"}, "invalid_arguments")
        assert "name" in error and "$.tax_id" in error


async def test_create_entity_backend_422_is_reported(connect, sandbox):
    async with connect() as client:
        await ok(client, "login")
        detail = (
            '{"detail":[{"loc":["body","address"],"msg":"Address is not in Viet Nam","type":"value_error"}]}'
        )
        sandbox.inject_fault(422, body=detail, path="/api/v1/entities", method="POST")
        error = await api_words(
            client, "create_entity", {"name": "Công ty A", "tax_id": unique_tax_id()}, "validation_failed"
        )
        assert "address: Address is not in Viet Nam" in error


async def test_update_entity_is_visible_to_later_reads(connect, era):
    async with connect(era) as client:
        await ok(client, "login")
        created = (await ok(client, "create_entity", {"name": "Công ty Cũ", "tax_id": unique_tax_id()}))[
            "data"
        ]
        await ok(client, "update_entity", {"entity_id": created["id"], "name": "Công ty Mới"})
        assert (await ok(client, "get_entity", {"entity_id": created["id"]}))["data"]["name"] == "Công ty Mới"


async def test_update_entity_without_the_role_reads_as_not_found(connect, era, world):
    async with connect(era) as client:
        await ok(client, "login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password})
        error = await fails(
            client, "update_entity", {"entity_id": world.accountants, "name": "X"}, "not_found"
        )
        assert "owner or admin" in error


async def test_update_entity_needs_a_field(connect, world):
    async with connect() as client:
        await ok(client, "login")
        assert "at least one field" in await fails(
            client, "update_entity", {"entity_id": world.big}, "invalid_arguments"
        )


async def test_update_entity_to_a_taken_tax_id_is_a_conflict(connect, world, sandbox):
    third_tax_id = sandbox.state.entities[world.third]["tax_id"]
    async with connect() as client:
        await ok(client, "login")
        created = (await ok(client, "create_entity", {"name": "Công ty B", "tax_id": unique_tax_id()}))[
            "data"
        ]
        await fails(client, "update_entity", {"entity_id": created["id"], "tax_id": third_tax_id}, "conflict")


# -- invoices -----------------------------------------------------------------------


async def test_list_invoices_pages(connect, era, world):
    async with connect(era) as client:
        await ok(client, "login")
        data = (await ok(client, "list_invoices", {"entity_id": world.big, "page": 2, "page_size": 50}))[
            "data"
        ]
        assert (data["page"], data["page_size"], data["total"]) == (2, 50, len(world.invoices))
        assert data["has_next"] is True and len(data["items"]) == 50
        assert data["items"][0]["id"] == world.invoices[50]["id"]
        assert set(data["items"][0]) == {
            "id",
            "invoice_series",
            "invoice_number",
            "issue_date",
            "direction",
            "status",
            "seller_name",
            "buyer_name",
            "total_amount",
            "currency",
        }


async def test_list_invoices_filters_and_fields(connect, world):
    expected = [
        inv
        for inv in world.invoices
        if inv["status"] == "paid"
        and inv["direction"] == 0
        and "2025-01-01" <= inv["issue_date"] <= "2025-06-30"
    ]
    arguments = {
        "entity_id": world.big,
        "status": "paid",
        "direction": "purchase",
        "date_from": "2025-01-01",
        "date_to": "2025-06-30",
        "page_size": 200,
        "fields": ["status", "direction", "issue_date"],
    }
    async with connect() as client:
        await ok(client, "login")
        data = (await ok(client, "list_invoices", arguments))["data"]
    assert data["total"] == len(expected)
    assert [item["id"] for item in data["items"]] == [inv["id"] for inv in expected]
    assert all(set(item) == {"id", "status", "direction", "issue_date"} for item in data["items"])
    assert {item["direction"] for item in data["items"]} == {"purchase"}


async def test_list_invoices_by_series_and_number(connect, world):
    target = world.invoices[123]
    async with connect() as client:
        await ok(client, "login")
        arguments = {
            "entity_id": world.big,
            "invoice_series": target["invoice_series"],
            "invoice_number": target["invoice_number"],
        }
        items = (await ok(client, "list_invoices", arguments))["data"]["items"]
    assert [item["id"] for item in items] == [target["id"]]


async def test_list_invoices_schema_violations_are_all_listed(connect, sandbox, world):
    async with connect() as client:
        await ok(client, "login")
        before = sandbox.counts["invoices.list"]
        # Any short lower-case word is a status (contract revision 2); "Lost!" is not one.
        arguments = {"entity_id": world.big, "page_size": 500, "page": 0, "status": "Lost!", "sort": "x"}
        error = await fails(client, "list_invoices", arguments, "invalid_arguments")
        for where in ("$.page_size", "$.page", "$.status", "sort"):
            assert where in error
        assert sandbox.counts["invoices.list"] == before


async def test_list_invoices_date_order(connect, world):
    async with connect() as client:
        await ok(client, "login")
        arguments = {"entity_id": world.big, "date_from": "2026-02-01", "date_to": "2026-01-01"}
        assert "after date_to" in await fails(client, "list_invoices", arguments, "invalid_arguments")


async def test_list_invoices_no_access(connect, world):
    async with connect() as client:
        await ok(client, "login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password})
        await fails(client, "list_invoices", {"entity_id": world.big}, "not_found")


async def test_list_invoices_backend_down(connect, sandbox, world, era):
    async with connect(era) as client:
        await ok(client, "login")
        sandbox.inject_fault(  # three: every attempt the retry policy allows
            503,
            count=3,
            body="<html><body>503 Service Temporarily Unavailable</body></html>",
            content_type="text/html",
        )
        error = await fails(client, "list_invoices", {"entity_id": world.big}, "backend_unavailable")
        assert "<html>" not in error
        assert (await ok(client, "list_invoices", {"entity_id": world.big}))["data"]["total"] > 0


async def test_rate_limit_says_when_to_retry(connect, sandbox, world):
    async with connect() as client:
        await ok(client, "login")
        # Over 10 s: not waited for; the error says when to try again.
        sandbox.inject_fault(429, headers={"Retry-After": "60"})
        assert "Retry after 60 seconds" in await fails(
            client, "list_vendors", {"entity_id": world.big}, "rate_limited"
        )


async def test_backend_timeout(connect, sandbox, world):
    async with connect(request_timeout=0.5) as client:
        await ok(client, "login")
        sandbox.inject_fault(None, delay=2.0, count=3)  # every attempt the retry policy allows
        await fails(client, "list_products", {"entity_id": world.big}, "backend_timeout")


async def test_backend_unreachable(connect):
    async with connect(api_url="http://127.0.0.1:9") as client:
        assert "FINIZI_API_URL" in await fails(client, "login", {}, "backend_unavailable")


async def test_get_invoice(connect, era, world):
    invoice = world.invoices[0]
    async with connect(era) as client:
        await ok(client, "login")
        data = (await ok(client, "get_invoice", {"entity_id": world.big, "invoice_id": invoice["id"]}))[
            "data"
        ]
    assert data["total_amount"] == invoice["total_amount"]
    assert len(data["line_items"]) == len(invoice["line_items"])
    assert data["direction"] == ("purchase" if invoice["direction"] == 0 else "sales")


async def test_get_invoice_not_found_and_schema(connect, world):
    async with connect() as client:
        await ok(client, "login")
        await fails(client, "get_invoice", {"entity_id": world.big, "invoice_id": UNKNOWN_ID}, "not_found")
        # an invoice of another entity is not found under this one
        other = world.invoices[0]["id"]
        await fails(client, "get_invoice", {"entity_id": world.third, "invoice_id": other}, "not_found")
        await fails(client, "get_invoice", {"entity_id": world.big}, "invalid_arguments")


def _xml(world, *, number: str, drop: str | None = None) -> bytes:
    xml = invoice_xml("C26TXY", world.big_tax_id, seller_tax_id="0301112223", number=number)
    if drop:
        start, end = xml.index(f"<{drop}>".encode()), xml.index(f"</{drop}>".encode()) + len(drop) + 3
        xml = xml[:start] + xml[end:]
    return xml


def _number() -> str:
    return str(uuid.uuid4().int % 10**7)


async def test_import_invoice_xml_from_a_file_with_progress(connect, world, tmp_path, era):
    path = tmp_path / "invoice.xml"
    path.write_bytes(_xml(world, number=_number()))
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress, total, message):
        seen.append((progress, total, message))

    async with connect(era) as client:
        await ok(client, "login")
        result = await client.call_tool(
            "import_invoice_xml",
            {"entity_id": world.big, "file_path": str(path), "auto_classify": True},
            progress_callback=on_progress,
        )
        body = body_of(result)
        assert body["success"] is True, body
        created = body["data"]
        again = (await ok(client, "get_invoice", {"entity_id": world.big, "invoice_id": created["id"]}))[
            "data"
        ]
    assert created["direction"] == "purchase" and created["queued_jobs"]
    assert again["total_amount"] == 20 * 78_000 * 110 // 100
    assert [p for p, _, _ in seen] == [0, 1, 2, 3]
    assert all(total == 3 for _, total, _ in seen)


async def test_import_invoice_xml_text_then_duplicate_is_a_conflict(connect, world):
    xml = _xml(world, number=_number()).decode()
    async with connect() as client:
        await ok(client, "login")
        created = await ok(client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml})
        assert created["data"]["queued_jobs"] != []  # auto_classify defaults to true
        error = await api_words(
            client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml}, "conflict"
        )
        assert "already exists" in error


async def test_import_incomplete_xml_is_the_backends_422(connect, world):
    xml = _xml(world, number=_number(), drop="TToan").decode()  # an e-invoice, but without its totals
    async with connect() as client:
        await ok(client, "login")
        error = await api_words(
            client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml}, "validation_failed"
        )
        assert "TToan is missing" in error


async def test_import_of_an_xml_without_its_number_is_refused_before_upload(connect, sandbox, world):
    xml = _xml(world, number=_number(), drop="SHDon").decode()
    async with connect() as client:
        await ok(client, "login")
        before = sandbox.counts["invoices.import_xml"]
        error = await fails(
            client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml}, "invalid_xml"
        )
        assert "SHDon is missing" in error and "Nothing was uploaded" in error
        assert sandbox.counts["invoices.import_xml"] == before


async def test_import_malformed_xml_is_refused_before_upload(connect, sandbox, world, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<HDon><DLHDon></HDon>", encoding="utf-8")
    async with connect() as client:
        await ok(client, "login")
        before = sandbox.counts["invoices.import_xml"]
        error = await fails(
            client, "import_invoice_xml", {"entity_id": world.big, "file_path": str(path)}, "invalid_xml"
        )
        assert "Nothing was uploaded" in error
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;">]><HDon>&b;</HDon>'
        )
        await fails(
            client, "import_invoice_xml", {"entity_id": world.big, "xml_content": bomb}, "invalid_xml"
        )
        assert sandbox.counts["invoices.import_xml"] == before


async def test_import_file_checks(connect, world, tmp_path):
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024 + 1)
    async with connect() as client:
        await ok(client, "login")
        imp = {"entity_id": world.big}
        await fails(
            client,
            "import_invoice_xml",
            {**imp, "file_path": str(tmp_path / "missing.xml")},
            "file_not_found",
        )
        await fails(client, "import_invoice_xml", {**imp, "file_path": str(tmp_path)}, "file_not_found")
        await fails(client, "import_invoice_xml", {**imp, "file_path": str(big)}, "file_too_large")
        await fails(
            client, "import_invoice_xml", {**imp, "file_path": "relative/invoice.xml"}, "invalid_arguments"
        )
        await fails(client, "import_invoice_xml", imp, "invalid_arguments")
        both = {**imp, "file_path": str(big), "xml_content": "<HDon/>"}
        assert "exactly one" in await fails(client, "import_invoice_xml", both, "invalid_arguments")


async def test_import_rejected_as_too_large_by_the_backend(connect, sandbox, world):
    async with connect() as client:
        await ok(client, "login")
        sandbox.inject_fault(413, path=f"/api/v1/entities/{world.big}/invoices/xml")
        xml = _xml(world, number=_number()).decode()
        await fails(
            client, "import_invoice_xml", {"entity_id": world.big, "xml_content": xml}, "payload_too_large"
        )


async def test_get_invoice_statistics(connect, era, world):
    in_2025 = [inv for inv in world.invoices if inv["issue_date"].startswith("2025")]
    async with connect(era) as client:
        await ok(client, "login")
        data = (
            await ok(
                client,
                "get_invoice_statistics",
                {"entity_id": world.big, "date_from": "2025-01-01", "date_to": "2025-12-31"},
            )
        )["data"]
    assert data["total_count"] == len(in_2025)
    assert sum(bucket["count"] for bucket in data["by_status"].values()) == len(in_2025)
    live = [inv for inv in in_2025 if inv["status"] != "cancelled"]
    assert data["total_amount"] == sum(inv["total_amount"] for inv in live)


async def test_get_invoice_statistics_failures(connect, world):
    async with connect() as client:
        await ok(client, "login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password})
        await fails(client, "get_invoice_statistics", {"entity_id": world.big}, "not_found")
        bad = {"entity_id": world.accountants, "date_from": "2025-13-45x"}
        await fails(client, "get_invoice_statistics", bad, "invalid_arguments")


# -- vendors and products ----------------------------------------------------------------


async def test_list_vendors_search(connect, era, world):
    async with connect(era) as client:
        await ok(client, "login")
        data = (await ok(client, "list_vendors", {"entity_id": world.big, "q": "phan phoi mien nam"}))["data"]
    assert {item["id"] for item in data["items"]} == {world.branch["id"], world.parent["id"]}


async def test_list_vendors_pages_and_schema(connect, world):
    async with connect() as client:
        await ok(client, "login")
        data = (await ok(client, "list_vendors", {"entity_id": world.big, "page": 3, "page_size": 25}))[
            "data"
        ]
        assert data["total"] == len(world.vendors) and len(data["items"]) == len(world.vendors) - 50
        assert data["has_next"] is False
        await fails(client, "list_vendors", {"entity_id": world.big, "page_size": 0}, "invalid_arguments")


async def test_get_vendor_by_id_and_by_branch_tax_id(connect, era, world):
    async with connect(era) as client:
        await ok(client, "login")
        by_id = (await ok(client, "get_vendor", {"entity_id": world.big, "vendor_id": world.parent["id"]}))[
            "data"
        ]
        assert by_id["tax_id"] == world.parent["tax_id"]
        branch = await ok(client, "get_vendor", {"entity_id": world.big, "tax_id": world.branch["tax_id"]})
        assert branch["data"]["id"] == world.branch["id"] and "message" not in branch


async def test_get_vendor_unknown_branch_falls_back_to_the_parent(connect, world):
    async with connect() as client:
        await ok(client, "login")
        body = await ok(
            client, "get_vendor", {"entity_id": world.big, "tax_id": world.parent["tax_id"] + "-002"}
        )
    assert body["data"]["id"] == world.parent["id"]
    assert "parent company" in body["message"]


async def test_get_vendor_failures(connect, world):
    async with connect() as client:
        await ok(client, "login")
        await fails(client, "get_vendor", {"entity_id": world.big, "tax_id": "0999999999"}, "not_found")
        await fails(client, "get_vendor", {"entity_id": world.big, "vendor_id": UNKNOWN_ID}, "not_found")
        await fails(client, "get_vendor", {"entity_id": world.big}, "invalid_arguments")
        await fails(client, "get_vendor", {"entity_id": world.big, "tax_id": "12-34"}, "invalid_arguments")


async def test_list_products_absorbs_the_per_page_wart(connect, era, world):
    async with connect(era) as client:
        await ok(client, "login")
        data = (await ok(client, "list_products", {"entity_id": world.big, "page_size": 7}))["data"]
    assert len(data["items"]) == 7 and data["page_size"] == 7 and data["total"] == len(world.products)


async def test_list_products_search_and_schema(connect, world):
    async with connect() as client:
        await ok(client, "login")
        items = (await ok(client, "list_products", {"entity_id": world.big, "search": "cà phê"}))["data"][
            "items"
        ]
        assert items and all("Cà phê" in item["name"] for item in items)
        await fails(client, "list_products", {"entity_id": world.big, "page_size": 201}, "invalid_arguments")


async def test_search_similar_products_ranks_the_exact_name_first(connect, era, world):
    name = world.products[17]["name"]
    async with connect(era) as client:
        await ok(client, "login")
        data = (
            await ok(client, "search_similar_products", {"entity_id": world.big, "query": name, "top_k": 4})
        )["data"]
    assert data["items"][0]["name"] == name and data["items"][0]["similarity"] == 1.0
    assert len(data["items"]) <= 4
    scores = [item["similarity"] for item in data["items"]]
    assert scores == sorted(scores, reverse=True)


async def test_search_similar_products_failures(connect, world):
    async with connect() as client:
        await ok(client, "login")
        await fails(
            client,
            "search_similar_products",
            {"entity_id": world.big, "query": "x", "min_similarity": 2},
            "invalid_arguments",
        )
        await fails(
            client, "search_similar_products", {"entity_id": world.big, "query": ""}, "invalid_arguments"
        )
    async with connect() as client:
        await ok(client, "login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password})
        await fails(client, "search_similar_products", {"entity_id": world.big, "query": "giấy"}, "not_found")


async def test_unknown_tool(connect):
    async with connect() as client:
        assert "list_entities" in await fails(client, "delete_everything", {}, "unknown_tool")


async def test_malformed_backend_answer_is_a_clear_error(connect, sandbox, world):
    async with connect() as client:
        await ok(client, "login")
        sandbox.inject_fault(200, body='{"unexpected": true}')
        await fails(
            client,
            "get_invoice",
            {"entity_id": world.big, "invoice_id": world.invoices[0]["id"]},
            "bad_response",
        )
