"""Accountants' questions, each scripted as the best sequence of tool calls, next to its expected answer.

Each script (``async def name(ask, s)``) is followed by ``name_expected(state, s)``, which
computes the same answer from the seeded data; see :mod:`bench.answers` for the parts.
Unless a question says otherwise it is about the company with the most invoices, as its
administrator sees it. A cancelled invoice is not spend: sums read from get_invoice_statistics
leave cancelled invoices out, as that API does, and so do sums from summarize_invoices, which
leaves them out unless a status is asked for (and reports them apart, in ``excluded``). Every
expected sum below is therefore over the invoices that are not cancelled (``invoices_of`` with
its default ``counted=True``); only counts per status and look-ups see every invoice.
"""

from __future__ import annotations

from typing import Any

from bench.answers import (
    AMOUNTS,
    PURCHASE,
    SALES,
    Ask,
    Question,
    Setting,
    fold,
    invoices_of,
    month,
    pick,
    quarter,
    sums,
    year,
)

__all__ = ["QUESTIONS"]


# -- the questions ---------------------------------------------------------------------------
# Each script is followed by the function that computes its answer from the data.


async def purchases_in_a_quarter(ask: Ask, s: Setting) -> Any:
    stats = await ask("get_invoice_statistics", {"entity_id": s.entity_id, **quarter(s.this_year, 1)})
    return pick(stats["data"]["by_direction"]["purchase"], ("count", *AMOUNTS))


def purchases_in_a_quarter_expected(state: Any, s: Setting) -> Any:
    return sums(invoices_of(state, s, direction=PURCHASE, **quarter(s.this_year, 1)))


async def drafts_this_year(ask: Ask, s: Setting) -> Any:
    listed = await ask(
        "list_invoices",
        {
            "entity_id": s.entity_id,
            "status": "draft",
            **year(s.this_year),
            "page_size": 200,
            "fields": ["invoice_series", "invoice_number", "total_amount"],
        },
    )
    items = listed["data"]["items"]
    return sorted([i["invoice_series"], i["invoice_number"], i["total_amount"]] for i in items)


def drafts_this_year_expected(state: Any, s: Setting) -> Any:
    drafts = invoices_of(state, s, status="draft", **year(s.this_year))
    return sorted([i["invoice_series"], i["invoice_number"], i["total_amount"]] for i in drafts)


FOUND = ("id", "issue_date", "seller_tax_id", "status", "total_amount")


async def invoice_by_number(ask: Ask, s: Setting) -> Any:
    listed = await ask(
        "list_invoices",
        {
            "entity_id": s.entity_id,
            "invoice_series": s.invoice_series,
            "invoice_number": s.invoice_number,
            "fields": ["issue_date", "seller_tax_id", "status", "total_amount"],
        },
    )
    return [pick(i, FOUND) for i in listed["data"]["items"]]


def invoice_by_number_expected(state: Any, s: Setting) -> Any:
    return [
        pick(i, FOUND)
        for i in invoices_of(state, s, counted=False)
        if i["invoice_series"] == s.invoice_series and i["invoice_number"] == s.invoice_number
    ]


async def vendor_by_branch(ask: Ask, s: Setting) -> Any:
    found = await ask("get_vendor", {"entity_id": s.entity_id, "tax_id": s.branch_tax_id})
    return pick(found["data"], ("id", "name", "tax_id"))


def vendor_by_branch_expected(state: Any, s: Setting) -> Any:
    vendor = next(v for v in state.vendors[s.entity_id] if v["tax_id"] == s.branch_tax_id)
    return pick(vendor, ("id", "name", "tax_id"))


async def counts_by_status(ask: Ask, s: Setting) -> Any:
    stats = await ask("get_invoice_statistics", {"entity_id": s.entity_id, **year(s.this_year)})
    return {status: row["count"] for status, row in stats["data"]["by_status"].items() if row["count"]}


def counts_by_status_expected(state: Any, s: Setting) -> Any:
    counts: dict[str, int] = {}
    for inv in invoices_of(state, s, counted=False, **year(s.this_year)):
        counts[inv["status"]] = counts.get(inv["status"], 0) + 1
    return counts


async def biggest_purchase_of_a_month(ask: Ask, s: Setting) -> Any:
    listed = await ask(
        "list_invoices",
        {
            "entity_id": s.entity_id,
            "direction": "purchase",
            **month(s.this_year, 3),
            "page_size": 200,
            "fields": ["status", "total_amount"],
        },
    )
    counted = [i for i in listed["data"]["items"] if i["status"] != "cancelled"]
    biggest = max(counted, key=lambda i: i["total_amount"])
    return {"id": biggest["id"], "total_amount": biggest["total_amount"], "of": len(counted)}


def biggest_purchase_of_a_month_expected(state: Any, s: Setting) -> Any:
    counted = invoices_of(state, s, direction=PURCHASE, **month(s.this_year, 3))
    biggest = max(counted, key=lambda i: i["total_amount"])
    return {"id": biggest["id"], "total_amount": biggest["total_amount"], "of": len(counted)}


async def products_by_name(ask: Ask, s: Setting) -> Any:
    listed = await ask("list_products", {"entity_id": s.entity_id, "search": s.product_text, "page_size": 50})
    return sorted([p["code"], p["name"]] for p in listed["data"]["items"])


def products_by_name_expected(state: Any, s: Setting) -> Any:
    needle = fold(s.product_text)
    return sorted([p["code"], p["name"]] for p in state.products[s.entity_id] if needle in fold(p["name"]))


# -- questions that need a summary: summarize_invoices pages through the invoices on the server --


def groups(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The groups of a summarize_invoices result, largest total first (without the others row)."""
    return [row for row in summary["data"]["groups"] if "others" not in row]


def others_total(summary: dict[str, Any]) -> int:
    """The total of the groups beyond ``top``, summed in one row (0 when there are none)."""
    return sum(row["total"] for row in summary["data"]["groups"] if "others" in row)


def month_key(issue_date: str) -> str:
    return issue_date[:7]


def quarter_key(issue_date: str) -> str:
    return f"{issue_date[:4]}-Q{(int(issue_date[5:7]) + 2) // 3}"


def by_key(invoices: list[dict[str, Any]], key: Any, amount: str = "total_amount") -> dict[str, int]:
    totals: dict[str, int] = {}
    for inv in invoices:
        totals[key(inv)] = totals.get(key(inv), 0) + inv[amount]
    return totals


async def top_vendors(ask: Ask, s: Setting) -> Any:
    summary = await ask(
        "summarize_invoices",
        {"entity_id": s.entity_id, "direction": "purchase", **year(s.year), "group_by": ["vendor"], "top": 5},
    )
    return {
        "top": [[row["vendor"], row["total"]] for row in groups(summary)],
        "others": others_total(summary),
        "all": summary["data"]["totals"]["total"],
    }


def top_vendors_expected(state: Any, s: Setting) -> Any:
    bought = invoices_of(state, s, direction=PURCHASE, **year(s.year))
    spent = by_key(bought, lambda inv: inv["seller_tax_id"])
    ranked = sorted(spent.items(), key=lambda kv: (-kv[1], kv[0]))
    everything = sum(inv["total_amount"] for inv in bought)
    top = [[tax_id, total] for tax_id, total in ranked[:5]]
    return {"top": top, "others": everything - sum(t for _, t in top), "all": everything}


async def monthly_sales(ask: Ask, s: Setting) -> Any:
    summary = await ask(
        "summarize_invoices",
        {"entity_id": s.entity_id, "direction": "sales", **year(s.year), "group_by": ["month"]},
    )
    return {row["month"]: row["total"] for row in groups(summary)}


def monthly_sales_expected(state: Any, s: Setting) -> Any:
    sold = invoices_of(state, s, direction=SALES, **year(s.year))
    return by_key(sold, lambda i: month_key(i["issue_date"]))


async def purchase_vat_by_month(ask: Ask, s: Setting) -> Any:
    summary = await ask(
        "summarize_invoices",
        {"entity_id": s.entity_id, "direction": "purchase", **year(s.this_year), "group_by": ["month"]},
    )
    return {row["month"]: row["tax"] for row in groups(summary)}


def purchase_vat_by_month_expected(state: Any, s: Setting) -> Any:
    bought = invoices_of(state, s, direction=PURCHASE, **year(s.this_year))
    return by_key(bought, lambda i: month_key(i["issue_date"]), "total_tax_amount")


async def quarterly_sales(ask: Ask, s: Setting) -> Any:
    summary = await ask(
        "summarize_invoices",
        {"entity_id": s.entity_id, "direction": "sales", **year(s.year), "group_by": ["quarter"]},
    )
    return {row["quarter"]: row["total"] for row in groups(summary)}


def quarterly_sales_expected(state: Any, s: Setting) -> Any:
    sold = invoices_of(state, s, direction=SALES, **year(s.year))
    return by_key(sold, lambda i: quarter_key(i["issue_date"]))


async def branch_spend_by_quarter(ask: Ask, s: Setting) -> Any:
    vendor = await ask("get_vendor", {"entity_id": s.entity_id, "tax_id": s.branch_tax_id})
    arguments = {"entity_id": s.entity_id, "vendor_id": vendor["data"]["id"], **year(s.year)}
    summary = await ask("summarize_invoices", {**arguments, "group_by": ["quarter"]})
    return {row["quarter"]: row["total"] for row in groups(summary)}


def branch_spend_by_quarter_expected(state: Any, s: Setting) -> Any:
    vendor = next(v for v in state.vendors[s.entity_id] if v["tax_id"] == s.branch_tax_id)
    listed = invoices_of(state, s, **year(s.year))
    bought = [inv for inv in listed if inv["vendor_id"] == vendor["id"]]
    return by_key(bought, lambda i: quarter_key(i["issue_date"]))


QUESTIONS: tuple[Question, ...] = (
    Question(
        "Q01",
        "total purchases in Q1 of this year",
        ("get_invoice_statistics",),
        purchases_in_a_quarter,
        purchases_in_a_quarter_expected,
    ),
    Question(
        "Q02",
        "the top 5 vendors by spend last year, and the rest",
        ("summarize_invoices",),
        top_vendors,
        top_vendors_expected,
    ),
    Question(
        "Q03",
        "sales per month last year",
        ("summarize_invoices",),
        monthly_sales,
        monthly_sales_expected,
    ),
    Question(
        "Q04",
        "this year's invoices still in draft",
        ("list_invoices",),
        drafts_this_year,
        drafts_this_year_expected,
    ),
    Question(
        "Q05",
        "VAT on purchases per month this year",
        ("summarize_invoices",),
        purchase_vat_by_month,
        purchase_vat_by_month_expected,
    ),
    Question(
        "Q06",
        "find an invoice by series and number",
        ("list_invoices",),
        invoice_by_number,
        invoice_by_number_expected,
    ),
    Question(
        "Q07",
        "look up a vendor by a branch tax id",
        ("get_vendor",),
        vendor_by_branch,
        vendor_by_branch_expected,
    ),
    Question(
        "Q08",
        "sales per quarter last year",
        ("summarize_invoices",),
        quarterly_sales,
        quarterly_sales_expected,
    ),
    Question(
        "Q09",
        "how many invoices per status this year",
        ("get_invoice_statistics",),
        counts_by_status,
        counts_by_status_expected,
    ),
    Question(
        "Q10",
        "the biggest purchase invoice of March this year",
        ("list_invoices",),
        biggest_purchase_of_a_month,
        biggest_purchase_of_a_month_expected,
    ),
    Question(
        "Q11",
        "products whose name contains a word",
        ("list_products",),
        products_by_name,
        products_by_name_expected,
    ),
    Question(
        "Q12",
        "spend with a vendor's branch (by its tax id) per quarter last year",
        ("get_vendor", "summarize_invoices"),
        branch_spend_by_quarter,
        branch_spend_by_quarter_expected,
    ),
)
