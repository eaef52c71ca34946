"""The accountant's questions about the books, the registry and payments, next to their expected answers.

As in :mod:`bench.questions`, each script is followed by the function that computes the same
answer from the seeded data, by a road of its own: from the invoices' and payments' own
amounts, never from the sandbox's report, journal or registry code. The journal books
invoices that are issued, validated or paid (a draft is not yet declared, a cancelled one no
longer), and payments that are not cancelled. The payment question writes, so it comes last.
"""

from __future__ import annotations

from typing import Any

from bench.answers import PURCHASE, SALES, Ask, Question, Setting, invoices_of, pick, quarter, year
from bench.questions import by_key, groups, others_total

__all__ = ["BOOKS_QUESTIONS"]

POSTED = frozenset({"issued", "validated", "paid"})
TOP = 10


def _posted(state: Any, s: Setting, **filters: Any) -> list[dict[str, Any]]:
    return [inv for inv in invoices_of(state, s, **filters) if inv["status"] in POSTED]


def _paid(state: Any, invoice: dict[str, Any]) -> int:
    return sum(p["amount"] for p in state.payments_of(invoice) if p["status"] != "cancelled")


# -- reports -------------------------------------------------------------------------------------


async def vat_payable(ask: Ask, s: Setting) -> Any:
    report = await ask("generate_tax_report", {"entity_id": s.entity_id, "period": f"{s.this_year}-Q3"})
    figures = report["data"]["figures"]
    return {
        "output": figures["output"]["tax"],
        "input": figures["input"]["tax"],
        "payable": figures["payable"],
    }


def vat_payable_expected(state: Any, s: Setting) -> Any:
    period = quarter(s.this_year, 3)
    output = sum(i["total_tax_amount"] for i in _posted(state, s, direction=SALES, **period))
    paid_in = sum(i["total_tax_amount"] for i in _posted(state, s, direction=PURCHASE, **period))
    return {"output": output, "input": paid_in, "payable": output - paid_in}


def _at(s: Setting) -> dict[str, str]:
    return {"date_from": year(s.year)["date_from"], "date_to": f"{s.this_year}-06-30"}


async def trial_balance(ask: Ask, s: Setting) -> Any:
    balance = await ask("get_trial_balance", {"entity_id": s.entity_id, **_at(s)})
    data = balance["data"]
    row = next(r for r in data["rows"] if r[0] == "331")
    closing = row[data["columns"].index("closing")]
    return {
        **pick(data["totals"], ("debit", "credit")),
        "balanced": data["checks"]["period_balanced"],
        "331": closing,
    }


def trial_balance_expected(state: Any, s: Setting) -> Any:
    at = _at(s)
    booked = _posted(state, s, counted=False, **at)
    payments = [
        p
        for p in state.payments[s.entity_id]
        if p["status"] != "cancelled" and at["date_from"] <= p["payment_date"] <= at["date_to"]
    ]
    # Every invoice is booked at its total on each side, every payment at its amount.
    moved = sum(i["total_amount"] for i in booked) + sum(p["amount"] for p in payments)
    owed = sum(i["total_amount"] for i in booked if i["direction"] == PURCHASE)
    settled = sum(p["amount"] for p in payments if p["payment_type"] == "payment")
    return {"debit": moved, "credit": moved, "balanced": True, "331": settled - owed}


# -- payments and the registry -------------------------------------------------------------------


async def unpaid_by_vendor(ask: Ask, s: Setting) -> Any:
    arguments = {"direction": "purchase", "payment_status": "unpaid", "group_by": ["vendor"], "top": TOP}
    summary = await ask("summarize_invoices", {"entity_id": s.entity_id, **arguments})
    data = summary["data"]
    return {
        "top": [[row["vendor"], row["count"], row["total"]] for row in groups(summary)],
        "others": others_total(summary),
        "count": data["totals"]["count"],
        "total": data["totals"]["total"],
        "basis": data["payment_basis"],
    }


def unpaid_by_vendor_expected(state: Any, s: Setting) -> Any:
    unpaid = [i for i in invoices_of(state, s, direction=PURCHASE) if _paid(state, i) == 0]
    by_vendor: dict[str, list[int]] = {}
    for inv in unpaid:
        row = by_vendor.setdefault(inv["seller_tax_id"], [0, 0])
        row[0] += 1
        row[1] += inv["total_amount"]
    ranked = sorted(by_vendor.items(), key=lambda kv: (-kv[1][1], kv[0]))
    top = [[tax_id, count, total] for tax_id, (count, total) in ranked[:TOP]]
    everything = sum(inv["total_amount"] for inv in unpaid)
    return {
        "top": top,
        "others": everything - sum(row[2] for row in top),
        "count": len(unpaid),
        "total": everything,
        "basis": "payments",
    }


async def unconfirmed_suppliers(ask: Ask, s: Setting) -> Any:
    checked = await ask("check_suppliers", {"entity_id": s.entity_id, **year(s.year)})
    data = checked["data"]
    return {
        kind: sorted([entry["tax_id"], entry["input_vat"]] for entry in data[kind])
        for kind in ("unknown", "renamed")
    }


def unconfirmed_suppliers_expected(state: Any, s: Setting) -> Any:
    bought = invoices_of(state, s, direction=PURCHASE, **year(s.year))

    def vat_of(tax_ids: tuple[str, ...]) -> list[list[Any]]:
        theirs = [inv for inv in bought if inv["seller_tax_id"] in tax_ids]
        found = by_key(theirs, lambda inv: inv["seller_tax_id"], "total_tax_amount")
        return sorted([tax_id, vat] for tax_id, vat in found.items())

    return {"unknown": vat_of(state.unregistered_tax_ids), "renamed": vat_of(state.renamed_tax_ids)}


async def pay_an_invoice(ask: Ask, s: Setting) -> Any:
    invoice_id, total, issued = s.open_invoice
    target = {"entity_id": s.entity_id, "invoice_id": invoice_id}
    await ask("record_payment", {**target, "amount": total, "paid_at": issued})
    payments = await ask("list_invoice_payments", target)
    return pick(payments["data"], ("invoice_id", "payment_status", "paid", "outstanding"))


def pay_an_invoice_expected(state: Any, s: Setting) -> Any:
    invoice_id = s.open_invoice[0]
    invoice = next(i for i in state.invoices[s.entity_id] if i["id"] == invoice_id)
    assert invoice["status"] == "issued" and _paid(state, invoice) == 0
    return {
        "invoice_id": invoice_id,
        "payment_status": "paid",
        "paid": invoice["total_amount"],
        "outstanding": 0,
    }


BOOKS_QUESTIONS: tuple[Question, ...] = (
    Question(
        "Q13",
        "VAT payable for Q3 of this year",
        ("generate_tax_report",),
        vat_payable,
        vat_payable_expected,
        max_calls=1,
    ),
    Question(
        "Q14",
        "the trial balance's totals and the balance of 331 at 30 June",
        ("get_trial_balance",),
        trial_balance,
        trial_balance_expected,
        max_calls=1,
    ),
    Question(
        "Q15",
        "unpaid purchase invoices by vendor",
        ("summarize_invoices",),
        unpaid_by_vendor,
        unpaid_by_vendor_expected,
    ),
    Question(
        "Q16",
        "last year's suppliers the registry does not confirm, with their input VAT",
        ("check_suppliers",),
        unconfirmed_suppliers,
        unconfirmed_suppliers_expected,
    ),
    Question(
        "Q17",
        "record a payment of an invoice and see it paid",
        ("record_payment", "list_invoice_payments"),
        pay_an_invoice,
        pay_an_invoice_expected,
    ),
)
