"""Routes: payments against invoices (contract part B2): paying one, listing them, paying from an invoice.

Every route requires ``X-Entity-Id`` (422 when missing, 403 when it names
another entity than the path); ``GET /api/v1/invoices/{id}/payments`` names
no entity in its path and takes it from that header. A purchase invoice's
payment is a ``payment``, a sale's a ``receipt``; payments are ``posted``
(the status filter also takes B2's draft, awaiting_approval, approved,
reconciled and cancelled) and always have UUID ids. Only issued, validated
or paid invoices can be paid (409 for a draft or cancelled one); the amount
must be more than 0 and at most what is left to pay, the date not before the
invoice's issue date (422). Paying the rest makes the invoice ``paid``; a
partial payment leaves its status as it is. Part B2 shows no answer shape:

- ``POST .../invoices/{id}/payments`` (``amount``, ``payment_method``,
  ``bank_account_id``, ``paid_at``, ``reference``): 201, the payment with
  ``invoice_status``, ``outstanding_amount`` and ``queued_jobs`` (the journal
  entry, the bank match). Minimal mode: only ``queued_jobs``.
- ``POST .../payments/from-invoice`` (``invoice_id``, ``payment_date``,
  ``amount``, optional ``payment_method``, ``payment_journal_code``,
  ``partner_id``, ``partner_type``, ``reference_number``, ``notes``): 201, the
  same; minimal mode: ``id`` and ``status``. ``.../from-invoice/preview``
  answers 200 with the payment it would make (``id`` null, ``status``
  ``draft``) and changes nothing.
- ``GET /api/v1/invoices/{id}/payments``: ``items``, ``total``,
  ``paid_amount``, ``outstanding_amount``; ``GET .../payments`` (``page``,
  ``per_page`` at most 100, ``payment_type``, ``status``, ``date_from``,
  ``date_to`` on the payment date, ``partner_id``): a page, newest first.
  Minimal mode: both only ``items`` and ``total``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import pydantic
from aiohttp import web

from finizi_b4b.sandbox.books import new_payment, outstanding, payment_record
from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.jobs import queue_job
from finizi_b4b.sandbox.problems import Problems, date, integer, json_body, path_id, record_id, validate
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.routes.common import API, header_entity, paged, scoped_entity
from finizi_b4b.sandbox.state import now, paid_amount

__all__ = ["FromInvoice", "NewPayment", "routes"]

routes = web.RouteTableDef()
PAYABLE = frozenset({"issued", "validated", "paid"})
PAYMENT_TYPES = ("payment", "receipt")
STATUSES = ("draft", "awaiting_approval", "approved", "posted", "reconciled", "cancelled")
Amount = Annotated[Decimal, pydantic.Field(gt=0, max_digits=18, decimal_places=2)]
Text = Annotated[str, pydantic.StringConstraints(max_length=255)]


class NewPayment(pydantic.BaseModel):
    amount: Amount
    payment_method: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=50)] = "bank_transfer"
    bank_account_id: Annotated[int, pydantic.Field(ge=1)] | None = None
    paid_at: dt.datetime | None = None
    reference: Text | None = None


class FromInvoice(pydantic.BaseModel):
    invoice_id: uuid.UUID | int
    payment_date: dt.date
    amount: Amount
    payment_method: Literal["cash", "bank", "other", "vnpay", "card", "spos", "ewallet"] = "bank"
    payment_journal_code: Annotated[str, pydantic.StringConstraints(max_length=32)] | None = None
    partner_id: uuid.UUID | int | None = None
    partner_type: Annotated[str, pydantic.StringConstraints(max_length=32)] | None = None
    reference_number: Text | None = None
    notes: Annotated[str, pydantic.StringConstraints(max_length=2000)] | None = None


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _payable(state: Any, invoice: dict[str, Any], amount: Decimal, payment_date: str) -> None:
    """409 for an invoice that cannot be paid; 422 for an amount or date it cannot take."""
    if invoice["status"] not in PAYABLE:
        raise error(
            409, f"Invoice {invoice['id']} is {invoice['status']}: only an issued invoice can be paid"
        )
    left = outstanding(state, invoice)
    if amount > left:
        raise error(
            422, f"The amount {amount} is more than the {left} left to pay on invoice {invoice['id']}"
        )
    if payment_date < invoice["issue_date"]:
        raise error(422, f"The payment date {payment_date} is before the invoice's issue date")


def _jobs(request: web.Request, payment: dict[str, Any]) -> list[str]:
    state, plan = request.app[STATE], request.app[SETTINGS].job_plan
    jobs = []
    for name in ("generate_journal_entry", "match_bank_transaction"):
        job = queue_job(
            state, plan, str(uuid.uuid4()), name, payment["entity_id"], {"payment_id": payment["id"]}
        )
        jobs.append(job.id)
    return jobs


def _made(request: web.Request, invoice: dict[str, Any], payment: dict[str, Any]) -> dict[str, Any]:
    left = outstanding(request.app[STATE], invoice)
    extra = {"invoice_status": invoice["status"], "outstanding_amount": _number(left)}
    return {**payment, **extra, "queued_jobs": _jobs(request, payment)}


@routes.post(f"{API}/entities/{{entity_id}}/invoices/{{invoice_id}}/payments", name="payments.create")
async def pay_invoice(request: web.Request) -> web.Response:
    entity, _ = scoped_entity(request)
    state = request.app[STATE]
    invoice = state.owned(state.invoice_index, path_id(request, "invoice_id", state.int_ids), entity["id"])
    problems = Problems()
    body = validate(problems, NewPayment, await json_body(request), "body")
    problems.raise_any()
    assert body is not None
    if invoice is None:
        raise error(404, "Invoice not found")
    paid_at = body.paid_at.isoformat() if body.paid_at else now()
    payment_date = body.paid_at.date().isoformat() if body.paid_at else paid_at[:10]
    _payable(state, invoice, body.amount, payment_date)
    payment = new_payment(
        state,
        invoice,
        body.amount,
        payment_date=payment_date,
        paid_at=paid_at,
        method=body.payment_method,
        bank_account_id=body.bank_account_id,
        reference=body.reference,
    )
    answer = _made(request, invoice, payment)
    if request.app[SETTINGS].minimal:
        answer = {"queued_jobs": answer["queued_jobs"]}
    return json_response(answer, status=201)


async def _from_invoice(request: web.Request) -> tuple[dict[str, Any], FromInvoice, dict[str, Any]]:
    """The invoice and the checked body of a from-invoice request, and the payment's fields."""
    entity, _ = scoped_entity(request)
    state, problems = request.app[STATE], Problems()
    body = validate(problems, FromInvoice, await json_body(request), "body")
    problems.raise_any()
    assert body is not None
    invoice_id = record_id(problems, "body", "invoice_id", str(body.invoice_id), state.int_ids)
    problems.raise_any()
    invoice = state.owned(state.invoice_index, invoice_id, entity["id"])
    if invoice is None:
        raise error(404, "Invoice not found")
    partner = body.partner_id
    if invoice["direction"] == 0 and partner is not None and str(partner) != str(invoice["vendor_id"]):
        raise error(422, f"partner_id {partner} is not the seller of invoice {invoice['id']}")
    payment_date = body.payment_date.isoformat()
    _payable(state, invoice, body.amount, payment_date)
    fields = {
        "payment_date": payment_date,
        "paid_at": f"{payment_date}T00:00:00+07:00",
        "method": body.payment_method,
        "reference": body.reference_number,
        "notes": body.notes,
        "payment_journal_code": body.payment_journal_code,
    }
    return invoice, body, fields


@routes.post(f"{API}/entities/{{entity_id}}/payments/from-invoice", name="payments.from_invoice")
async def payment_from_invoice(request: web.Request) -> web.Response:
    invoice, body, fields = await _from_invoice(request)
    payment = new_payment(request.app[STATE], invoice, body.amount, **fields)
    answer = _made(request, invoice, payment)
    if request.app[SETTINGS].minimal:
        answer = {"id": payment["id"], "status": payment["status"]}
    return json_response(answer, status=201)


@routes.post(f"{API}/entities/{{entity_id}}/payments/from-invoice/preview", name="payments.preview")
async def preview_payment(request: web.Request) -> web.Response:
    invoice, body, fields = await _from_invoice(request)
    state = request.app[STATE]
    payment = payment_record(state, invoice, payment_id="", amount=body.amount, created_at=now(), **fields)
    left = outstanding(state, invoice) - body.amount
    payment.update(id=None, status="draft")
    after = "paid" if left <= 0 else invoice["status"]
    return json_response({**payment, "invoice_status": after, "outstanding_amount": _number(left)})


@routes.get(f"{API}/invoices/{{invoice_id}}/payments", name="payments.of_invoice")
async def payments_of_invoice(request: web.Request) -> web.Response:
    entity = header_entity(request)
    state = request.app[STATE]
    invoice = state.owned(state.invoice_index, path_id(request, "invoice_id", state.int_ids), entity["id"])
    if invoice is None:
        raise error(404, "Invoice not found")
    payments = state.payments_of(invoice)
    if request.app[SETTINGS].minimal:
        return json_response({"items": payments, "total": len(payments)})
    return json_response(
        {
            "invoice_id": invoice["id"],
            "items": payments,
            "total": len(payments),
            "paid_amount": _number(paid_amount(payments)),
            "outstanding_amount": _number(outstanding(state, invoice)),
        }
    )


def _choice(problems: Problems, name: str, raw: str | None, allowed: tuple[str, ...]) -> str | None:
    if raw is not None and raw not in allowed:
        expected = ", ".join(f"'{a}'" for a in allowed)
        problems.add(["query", name], "enum", f"Input should be {expected}", raw, expected=expected)
    return raw


@routes.get(f"{API}/entities/{{entity_id}}/payments", name="payments.list")
async def list_payments(request: web.Request) -> web.Response:
    query, problems, state = request.query, Problems(), request.app[STATE]
    page = integer(problems, "query", "page", query.get("page"), 1, 1, 1_000_000)
    size = integer(problems, "query", "per_page", query.get("per_page"), 20, 1, 100)
    kind = _choice(problems, "payment_type", query.get("payment_type"), PAYMENT_TYPES)
    status = _choice(problems, "status", query.get("status"), STATUSES)
    first, last = (
        date(problems, "date_from", query.get("date_from")),
        date(problems, "date_to", query.get("date_to")),
    )
    partner = query.get("partner_id")
    if partner is not None:
        partner = record_id(problems, "query", "partner_id", partner, state.int_ids)
    entity, _ = scoped_entity(request, problems)
    found = [
        p
        for p in state.payments[entity["id"]]
        if (kind is None or p["payment_type"] == kind)
        and (status is None or p["status"] == status)
        and (first is None or p["payment_date"] >= first)
        and (last is None or p["payment_date"] <= last)
        and (partner is None or p["partner_id"] == partner)
    ]
    found.sort(key=lambda p: (p["payment_date"], p["payment_number"]), reverse=True)
    answer = paged(found, page, size)
    if request.app[SETTINGS].minimal:
        answer = {"items": answer["items"], "total": answer["total"]}
    return json_response(answer)
