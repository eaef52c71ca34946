"""list_invoice_payments, record_payment: an invoice's payments with what is left to pay, and paying one.

What an invoice has been paid is computed here, the same way for both tools
(:mod:`.paid`): its total (read from the invoice) less its payments that are
not cancelled. The API's own ``paid_amount`` and ``outstanding_amount``, when
it sends them, are shown beside, and a disagreement is said.

``record_payment`` is a write: confirmed with the user where the client can
ask (the line names the amount, the invoice, its counterparty and the entity),
hidden and refused in read-only mode, and idempotent (the client sends one
``Idempotency-Key`` per call and re-sends it on retries, so a lost answer
retried records one payment). Its answer is what the API says of the invoice
after it; an answer with only ``queued_jobs`` is followed by a read of the
invoice's payments, to say whether it is now paid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finizi_b4b.api.errors import Conflict, ValidationFailed
from finizi_b4b.api.money import amount_json, amount_json_or_none
from finizi_b4b.api.untrusted import quote
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.base import Call, Handler
from finizi_b4b.tools.import_checks import entity_named
from finizi_b4b.tools.paid import paid_of, payment_status

if TYPE_CHECKING:
    from finizi_b4b.api.models import Invoice
    from finizi_b4b.api.payments import InvoicePayments

__all__ = ["PaymentTools", "invoice_label"]

SHOWN = ("id", "payment_number", "payment_date", "amount", "status", "payment_method", "reference")
MAX_SHOWN = 50  # payments listed at most (an invoice rarely has more than a few)
# Vietnam's offset: a payment date is sent as the start of that day there.
_DAY_START = "T00:00:00+07:00"


def invoice_label(invoice: Invoice) -> str:
    """``C26TAA/123``, or the id when the invoice carries no series and number."""
    if invoice.series and invoice.number:
        return f"{invoice.series}/{invoice.number}"
    return f"id {invoice.id}"


def _wire_amount(value: Any) -> int | float:
    exact = Decimal(str(value))
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def _figures(invoice: Invoice, answer: InvoicePayments) -> dict[str, Any]:
    """Paid, outstanding and the payment status of ``invoice`` from its payments, with the API's own
    figures beside them and whether they agree."""
    paid = paid_of(answer.items)
    total = invoice.total
    left = total - paid.amount if total is not None and paid.amount is not None else None
    data: dict[str, Any] = {
        "total": amount_json_or_none(total),
        "paid": amount_json_or_none(paid.amount),
        "outstanding": amount_json_or_none(left),
        "payment_status": payment_status(total, paid.amount),
        "basis": "payments",
    }
    if paid.cancelled:
        data["cancelled_payments"] = paid.cancelled
    if paid.without_status:
        data["payments_without_status"] = paid.without_status
    theirs = {
        name: value
        for name, value in (
            ("paid_amount", answer.paid_amount),
            ("outstanding_amount", answer.outstanding_amount),
        )
        if value is not None
    }
    if theirs:
        ours = {"paid_amount": paid.amount, "outstanding_amount": left}
        data["api_figures"] = {name: amount_json(value) for name, value in theirs.items()}
        data["api_figures"]["agree"] = all(ours[name] == value for name, value in theirs.items())
    return data


class PaymentTools(Handler):
    async def list_invoice_payments(self, call: Call) -> dict[str, Any]:
        from finizi_b4b.tools import messages

        entity_id, invoice_id = call["entity_id"], call["invoice_id"]
        invoice = await self.client.get_invoice(entity_id, invoice_id)
        answer = await self.client.invoice_payments(entity_id, invoice_id)
        data: dict[str, Any] = {
            "invoice_id": invoice.id,
            "invoice": invoice_label(invoice),
            "invoice_status": invoice.status,
            "currency": invoice.currency or "VND",
            **_figures(invoice, answer),
            "payments": [payment.pick(SHOWN) for payment in answer.items[:MAX_SHOWN]],
            "payment_count": len(answer.items),
        }
        return {"message": messages.invoice_payments(data), "data": data}

    async def describe_payment(self, call: Call) -> str:
        """The line the user confirms: the amount, the invoice, its counterparty and the entity."""
        from finizi_b4b.tools import messages

        entity_id = call["entity_id"]
        invoice = await self.client.get_invoice(entity_id, call["invoice_id"])
        entity = await entity_named(self.client, entity_id)
        _, _, counterparty = invoice.counterparty()
        amount = Decimal(str(call["amount"]))
        return messages.confirm_payment(
            amount, invoice.currency or "VND", invoice_label(invoice), counterparty, entity
        )

    async def record_payment(self, call: Call) -> dict[str, Any]:
        from finizi_b4b.tools import messages

        entity_id, invoice_id = call["entity_id"], call["invoice_id"]
        await call.progress(0, 2, "Reading the invoice")
        invoice = await self.client.get_invoice(entity_id, invoice_id)
        label, amount = invoice_label(invoice), Decimal(str(call["amount"]))
        body: dict[str, Any] = {
            "amount": _wire_amount(call["amount"]),
            "payment_method": call["payment_method"],
            "paid_at": call["paid_at"] + _DAY_START,
        }
        if call.get("reference"):
            body["reference"] = call["reference"]
        await call.progress(1, 2, f"Recording the payment of invoice {label}")
        try:
            made = await self.client.pay_invoice(entity_id, invoice_id, body)
        except Conflict as exc:
            words = messages.payment_conflict(label, invoice.status, exc)
            raise ToolError(ErrorCode.CONFLICT, words, api_detail=quote(exc.detail)) from None
        except ValidationFailed as exc:
            words = messages.payment_refused(label, amount, invoice.currency or "VND", exc)
            raise ToolError(
                ErrorCode.VALIDATION_FAILED, words, status=exc.status, api_detail=quote(exc.detail)
            ) from None
        data: dict[str, Any] = {
            "invoice_id": invoice.id,
            "invoice": label,
            "amount": amount_json(amount),
            "currency": invoice.currency or "VND",
            "paid_at": call["paid_at"],
        }
        if made.get("id") is not None:
            data["payment_id"] = made.get("id")
        if made.invoice_status is not None or made.outstanding_amount is not None:
            data |= {
                "invoice_status": made.invoice_status,
                "outstanding": amount_json_or_none(made.outstanding_amount),
                "basis": "answer",
            }
        else:  # the answer says nothing of the invoice: its payments do
            answer = await self.client.invoice_payments(entity_id, invoice_id)
            figures = _figures(invoice, answer)
            data |= {
                "payment_status": figures["payment_status"],
                "outstanding": figures["outstanding"],
                "basis": "payments",
            }
        data["queued_jobs"] = made.queued_jobs
        await call.progress(2, 2, "Recorded")
        return {"message": messages.payment_recorded(data), "data": data}
