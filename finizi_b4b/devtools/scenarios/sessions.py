"""The scripted sessions: ``full`` (every tool), ``expiry`` (a token expires) and ``failures``.

Each is a list of :class:`~finizi_b4b.devtools.scenarios.runner.Step` with the small functions
that keep values for later steps, check answers and say what came back. Steps with a ``before``
hook act on an in-process sandbox (``ctx.sandbox``); ``full`` has none and runs against any API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from finizi_b4b.api.fields import API
from finizi_b4b.api.retry import RetryPolicy
from finizi_b4b.devtools.samples import sample_invoice_number, sample_invoice_xml
from finizi_b4b.devtools.scenarios.books import check_balance, check_report, report_words, suppliers_words
from finizi_b4b.devtools.scenarios.runner import Context, Step, money
from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN

__all__ = ["EXPIRY", "FAILURES", "FULL", "SCENARIOS", "SIMILAR_PRODUCT", "SIMILAR_QUERY", "WRONG_PASSWORD"]

WRONG_PASSWORD = "Wrong-Password-1"  # noqa: S105 - the failures scenario expects it to be refused
# The similarity search looks for this product with its accents left out and one letter wrong.
SIMILAR_PRODUCT = "Cà phê Robusta rang xay"
SIMILAR_QUERY = "ca phe robusta rang say"


# -- what the steps print ----------------------------------------------------


def _who(body: dict[str, Any]) -> str:
    user = body["user"]
    if "email" not in user:  # an API that sends only the id (the contract assumes the rest)
        return f"user {user['id']}"
    return f"{user['email']} (super admin: {user.get('is_super_admin')})"


def _count(body: dict[str, Any]) -> str:
    data = body["data"]
    more = ", more" if data.get("has_next") else ""
    return f"{len(data['items'])} of {data['total']}{more}"


def _first(body: dict[str, Any], *keys: str) -> str:
    items = body["data"]["items"]
    if not items:
        return "no items"
    return ", ".join(
        money(items[0][k]) if "price" in k or "amount" in k else str(items[0][k])
        for k in keys
        if k in items[0]
    )


def _invoices(body: dict[str, Any]) -> str:
    data = body["data"]
    total = f", {money(data['total_amount'])} in all" if "total_amount" in data else ""
    return f"{_count(body)}{total}; first {_first(body, 'invoice_series', 'invoice_number', 'seller_name')}"


def _similar(body: dict[str, Any]) -> str:
    return "; ".join(f"{i['name']} ({i['similarity']:.2f})" for i in body["data"]["items"])


# -- what the steps keep and check -------------------------------------------


def _keep_entities(ctx: Context, body: dict[str, Any]) -> None:
    items = body["data"]["items"]
    busiest = max(items, key=lambda e: e.get("invoice_count", 0))
    ctx.values.update(
        entity_id=busiest["id"], entity_tax_id=busiest.get("tax_id"), entity_name=busiest["name"]
    )


def _keep(name: str, path: Callable[[dict[str, Any]], Any]) -> Callable[[Context, dict[str, Any]], None]:
    def keep(ctx: Context, body: dict[str, Any]) -> None:
        ctx.values[name] = path(body)

    return keep


def _keep_product(ctx: Context, body: dict[str, Any]) -> None:
    named = [i for i in body["data"]["items"] if i["name"] == SIMILAR_PRODUCT]
    ctx.values["product_id"] = named[0]["id"] if named else None


def _check_top_hit(ctx: Context, body: dict[str, Any]) -> str | None:
    items = body["data"]["items"]
    if not items or ctx["product_id"] is None or items[0]["id"] != ctx["product_id"]:
        top = items[0]["name"] if items else "nothing"
        return f"the top hit should be {SIMILAR_PRODUCT} (listed just before), not {top}"
    return None


def _fresh_invoice(ctx: Context) -> dict[str, Any]:
    """Write the sample invoice, bought by the chosen entity, to a file; return the import arguments."""
    number = sample_invoice_number()
    path = ctx.workdir / f"C26TDM-{number}.xml"
    path.write_bytes(
        sample_invoice_xml("C26TDM", ctx["entity_tax_id"], number=number, buyer_name=ctx["entity_name"])
    )
    ctx.values["xml_path"] = str(path)
    return {"entity_id": ctx["entity_id"], "file_path": str(path)}


def _same_file(ctx: Context) -> dict[str, Any]:
    return {"entity_id": ctx["entity_id"], "file_path": ctx["xml_path"]}


def _preview_fresh(ctx: Context) -> dict[str, Any]:
    return {**_fresh_invoice(ctx), "preview": True}


def _check_preview(ctx: Context, body: dict[str, Any]) -> str | None:
    data = body["data"]
    if data["preview"] is not True or data["exists"] or data["direction"] != "purchase":
        return f"a new purchase invoice should be previewed, not {data}"
    return None


def _batch(ctx: Context) -> dict[str, Any]:
    """The file imported already, and one more new invoice: a batch of two."""
    second = _fresh_invoice(ctx)["file_path"]
    return {"entity_id": ctx["entity_id"], "file_paths": [ctx["imported_path"], second]}


def _check_batch(ctx: Context, body: dict[str, Any]) -> str | None:
    outcomes = [entry["outcome"] for entry in body["data"]["files"]]
    if outcomes != ["already_imported", "imported"]:
        return f"the batch should find the first file imported already and import the second, not {outcomes}"
    return None


def _batch_words(body: dict[str, Any]) -> str:
    files = body["data"]["files"]
    return "; ".join(f"{Path(e['file']).name}: {e['outcome'].replace('_', ' ')}" for e in files)


def _check_groups(ctx: Context, body: dict[str, Any]) -> str | None:
    """The groups add up to the totals, the largest come first, and the group count covers them all."""
    data = body["data"]
    groups, totals = data["groups"], data["totals"]
    shown = [g for g in groups if "others" not in g]
    if len(shown) + sum(g.get("others", 0) for g in groups) != data["group_count"]:
        return f"{len(shown)} groups shown and others do not make the {data['group_count']} groups counted"
    if sum(g["count"] for g in groups) != totals["count"]:
        return f"the groups' counts do not add up to the {totals['count']} invoices in all"
    if "total" in totals and sum(g["total"] for g in groups) != totals["total"]:
        return f"the groups' totals do not add up to {money(totals['total'])}"
    if "total" in totals and [g["total"] for g in shown] != sorted((g["total"] for g in shown), reverse=True):
        return "the groups are not largest first"
    return None


def _vendors_words(body: dict[str, Any]) -> str:
    data = body["data"]
    top = next((g for g in data["groups"] if "others" not in g), None)
    first = f"; top {top['name'] or top['vendor']}, {money(top.get('total'))}" if top else ""
    return f"{data['totals']['count']} purchases from {data['group_count']} vendors{first}"


def _new_tax_id() -> str:
    return f"03{int(time.time() * 1000) % 100_000_000:08d}"


def _on_entity(**extra: Any) -> Callable[[Context], dict[str, Any]]:
    return lambda c: {"entity_id": c["entity_id"], **extra}


# -- the scenarios -----------------------------------------------------------

FULL = [
    Step("login", {}, show=lambda b: b["message"], note="with the credentials of the server's environment"),
    Step("whoami", show=_who),
    Step(
        "list_entities",
        {"detailed": True},
        keep=_keep_entities,
        show=lambda b: _count(b) + "; " + _first(b, "name"),
    ),
    Step("get_entity", _on_entity(), show=lambda b: f"{b['data']['name']}, MST {b['data'].get('tax_id')}"),
    Step(
        "create_entity",
        lambda c: {
            "name": "Công ty TNHH Thử Nghiệm Sao Mai",
            "tax_id": _new_tax_id(),
            "address": "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh",
        },
        keep=_keep("new_entity_id", lambda b: b["data"]["id"]),
        show=lambda b: f"created {b['data']['id']}",
    ),
    Step(
        "update_entity",
        lambda c: {"entity_id": c["new_entity_id"], "address": "45 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh"},
        show=lambda b: f"address now {b['data'].get('address')}",
    ),
    Step(
        "list_invoices",
        _on_entity(page_size=50, direction="purchase", status="paid"),
        keep=_keep("invoice_id", lambda b: b["data"]["items"][0]["id"]),
        show=_invoices,
    ),
    Step(
        "get_invoice",
        lambda c: {"entity_id": c["entity_id"], "invoice_id": c["invoice_id"]},
        show=lambda b: (
            f"{b['data']['invoice_series']}/{b['data']['invoice_number']}: "
            f"{len(b['data']['line_items'])} lines, total {money(b['data']['total_amount'])}"
        ),
    ),
    Step(
        "get_invoice_statistics",
        _on_entity(date_from="2025-01-01", date_to="2025-12-31"),
        show=lambda b: f"{b['data']['total_count']} invoices in 2025, {money(b['data']['total_amount'])}",
    ),
    Step(
        "list_vendors",
        _on_entity(page_size=10),
        keep=_keep("vendor_id", lambda b: b["data"]["items"][0]["id"]),
        show=lambda b: _count(b) + "; first " + _first(b, "name", "tax_id"),
    ),
    Step(
        "get_vendor",
        lambda c: {"entity_id": c["entity_id"], "vendor_id": c["vendor_id"]},
        keep=_keep("vendor_tax_id", lambda b: b["data"]["tax_id"]),
        show=lambda b: f"{b['data']['name']}, MST {b['data'].get('tax_id')}",
    ),
    Step(
        "lookup_company",
        lambda c: {"entity_id": c["entity_id"], "tax_id": c["vendor_tax_id"]},
        show=lambda b: f"{b['data'].get('name')}, {b['data'].get('address')}",
        note="the company registry's record of that vendor's tax id",
    ),
    Step(
        "list_products",
        _on_entity(search="Cà phê Robusta", page_size=5),
        keep=_keep_product,
        show=lambda b: f"{_count(b)}; first {_first(b, 'name', 'unit_of_measurement', 'default_sell_price')}",
    ),
    Step(
        "search_similar_products",
        _on_entity(query=SIMILAR_QUERY, top_k=3),
        check=_check_top_hit,
        show=_similar,
        note=f"no accents and one letter wrong: the top hit must be {SIMILAR_PRODUCT}",
    ),
    Step(
        "summarize_invoices",
        _on_entity(
            direction="purchase", date_from="2025-01-01", date_to="2025-12-31", group_by=["vendor"], top=3
        ),
        check=_check_groups,
        show=_vendors_words,
        note="purchases in 2025 by vendor, in one call: the groups must add up to the totals",
    ),
    Step(
        "generate_tax_report",
        _on_entity(report_type="vat", period="2025-Q2"),
        check=check_report,
        show=report_words,
        note="the VAT report of a quarter, waited for and checked against the quarter's invoices",
    ),
    Step(
        "get_trial_balance",
        _on_entity(date_from="2025-04-01", date_to="2025-06-30"),
        check=check_balance,
        show=lambda b: f"{len(b['data']['rows'])} accounts; debits {money(b['data']['totals']['debit'])}",
    ),
    Step(
        "get_general_ledger",
        _on_entity(account="1331", date_from="2025-04-01", date_to="2025-06-30", page_size=5),
        show=lambda b: f"{len(b['data']['lines'])} of {b['data']['total']} lines of account 1331",
    ),
    Step(
        "send_tax_report_to_htkk",
        lambda c: {"entity_id": c["new_entity_id"], "period": "2025-12"},
        show=lambda b: b["message"].split(" Download")[0],
        note="the company created above: a VAT report with nothing in it, sent to HTKK",
    ),
    Step(
        "check_suppliers",
        _on_entity(date_from="2025-01-01", date_to="2025-12-31"),
        show=suppliers_words,
        note="every supplier of 2025 checked with the company registry",
    ),
    Step(
        "import_invoice_xml",
        _preview_fresh,
        check=_check_preview,
        show=lambda b: b["message"],
        note="a preview: nothing is uploaded",
    ),
    Step(
        "import_invoice_xml",
        _same_file,
        keep=lambda c, b: c.values.update(imported_path=c["xml_path"]),
        show=lambda b: b["message"],
    ),
    Step("import_invoice_xml", _same_file, expect="conflict", note="the same file again"),
    Step("import_invoice_xml", _batch, check=_check_batch, show=_batch_words, note="a batch of two files"),
    Step("logout", show=lambda b: b["message"]),
    Step("whoami", expect="not_authenticated", note="after logout, no automatic sign-in"),
]


def _expire(ctx: Context) -> None:
    ctx.sandbox.expire_access_tokens()


EXPIRY = [
    Step("login", {}, show=lambda b: b["message"]),
    Step("list_entities", keep=_keep("entity_id", lambda b: b["data"]["items"][0]["id"]), show=_count),
    Step(
        "list_invoices",
        _on_entity(page_size=5),
        keep=_keep("invoice_id", lambda b: b["data"]["items"][0]["id"]),
        show=_count,
    ),
    Step(
        "get_invoice",
        lambda c: {"entity_id": c["entity_id"], "invoice_id": c["invoice_id"]},
        before=_expire,
        show=lambda b: "refreshed and retried: " + b["data"]["invoice_number"],
        note="the sandbox expires the access token first",
    ),
    Step("whoami", show=lambda b: b["user"].get("email", "")),
    Step("logout", show=lambda b: b["message"]),
    Step("list_entities", expect="not_authenticated"),
]


def _fault_503(ctx: Context) -> None:
    body = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
    attempts = RetryPolicy().attempts  # every attempt of the call meets the outage
    ctx.sandbox.inject_fault(status=503, count=attempts, body=body, content_type="text/html")


def _lose_import_answer(ctx: Context) -> None:
    ctx.sandbox.inject_fault(kind="lose_answer", path=f"{API}/entities/{ctx['entity_id']}/invoices/xml")


FAILURES = [
    Step("logout", show=lambda b: b["message"], note="first: so that the server does not sign in by itself"),
    Step("whoami", expect="not_authenticated"),
    Step("login", {"phone": DEMO_ADMIN.phone, "password": WRONG_PASSWORD}, expect="invalid_credentials"),
    Step(
        "login",
        {"phone": "0" + DEMO_ACCOUNTANT.phone.removeprefix("+84"), "password": DEMO_ACCOUNTANT.password},
        show=lambda b: b["message"],
        note="a phone number in the local form",
    ),
    Step("list_entities", keep=_keep("own_entity", lambda b: b["data"]["items"][0]["id"]), show=_count),
    Step("get_entity", {"entity_id": "../../etc/passwd"}, expect="invalid_arguments"),
    Step(
        "get_invoice",
        lambda c: {"entity_id": c["own_entity"], "invoice_id": "00000000-0000-4000-8000-000000000000"},
        expect="not_found",
    ),
    Step("update_entity", lambda c: {"entity_id": c["own_entity"], "address": "Hà Nội"}, expect="not_found"),
    Step("logout", show=lambda b: b["message"]),
    Step("login", {}, show=lambda b: b["message"]),
    Step("list_entities", {"detailed": True}, keep=_keep_entities, show=_count),
    Step(
        "import_invoice_xml",
        _fresh_invoice,
        before=_lose_import_answer,
        show=lambda b: b["message"],
        note="the sandbox drops the first answer: the upload is retried with the same idempotency key",
    ),
    Step("import_invoice_xml", _same_file, expect="conflict", note="so the invoice exists exactly once"),
    Step(
        "import_invoice_xml",
        _on_entity(xml_content="<HDon><DLHDon><TTChung><KHHDon>C26TAA</KHHDon></TTChung></DLHDon></HDon>"),
        expect="invalid_xml",
        note="no invoice number: not an e-invoice, so nothing is uploaded",
    ),
    Step(
        "import_invoice_xml",
        _on_entity(
            xml_content="<HDon><DLHDon><TTChung><KHHDon>C26TAA</KHHDon><SHDon>1</SHDon></TTChung><NDHDon>"
            "<NBan><Ten>Công ty Mẫu</Ten><MST>0305556667</MST></NBan></NDHDon></DLHDon></HDon>"
        ),
        expect="validation_failed",
        note="an e-invoice without date, lines or totals: the API refuses it",
    ),
    Step("import_invoice_xml", _on_entity(xml_content="<HDon><unclosed></HDon>"), expect="invalid_xml"),
    Step("list_invoices", _on_entity(page_size=500), expect="invalid_arguments"),
    Step(
        "list_entities",
        before=_fault_503,
        expect="backend_unavailable",
        note="503 to every attempt, retries included",
    ),
    Step("list_entities", show=lambda b: "recovered: " + _count(b)),
]

SCENARIOS: dict[str, list[Step]] = {"full": FULL, "expiry": EXPIRY, "failures": FAILURES}
