"""What an invoice has been paid: its payments that are not cancelled, against its total, and on what basis.

Nothing the company's client reads says whether an invoice is paid (contract
part B2), so there are two bases, and every figure says which it rests on:

- ``payments``: the sum of the invoice's payments that are not cancelled,
  against the invoice's ``total_amount``: ``paid`` when it reaches the total,
  ``partly_paid`` when it is more than 0 and less, ``unpaid`` when 0. A
  payment without a status is counted (it is not known to be cancelled).
- ``status``: the invoice's own ``status``, ``paid`` or not; a partly paid
  invoice cannot be told from an unpaid one on this basis.

:func:`read_paid` reads the entity's payments (``GET .../payments``, pages of
100, within the call's deadline) and sums them per invoice. When that list is
not served (404, or another refusal of the request as such), its items do
not name their invoice or amount, or its pages hold fewer payments than it
reports, the basis is ``status``, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from finizi_b4b.api.errors import BackendTimeout, NotFound, RequestRefused
from finizi_b4b.api.payments import MAX_PAYMENTS_PAGE
from finizi_b4b.errors import ErrorCode, ToolError

if TYPE_CHECKING:
    from finizi_b4b.api.client import B4BClient
    from finizi_b4b.api.models import Invoice
    from finizi_b4b.api.payments import Payment
    from finizi_b4b.tools.base import Call

__all__ = [
    "MAX_PAYMENTS",
    "PAYMENT_STATUSES",
    "Paid",
    "PaidBasis",
    "PaymentScope",
    "paid_of",
    "payment_status",
    "read_paid",
]

PAYMENT_STATUSES = ("paid", "partly_paid", "unpaid")
# Payments read at most for one call; more is refused rather than summed in part.
MAX_PAYMENTS = 50_000


@attrs.frozen
class Paid:
    """What a set of payments paid: the sum of those not cancelled (None when one of them has no
    amount), how many were counted and cancelled, and how many carried no status."""

    amount: Decimal | None
    counted: int = 0
    cancelled: int = 0
    without_status: int = 0


def paid_of(payments: Iterable[Payment]) -> Paid:
    amount: Decimal | None = Decimal(0)
    counted = cancelled = without_status = 0
    for payment in payments:
        if payment.cancelled:
            cancelled += 1
            continue
        counted += 1
        without_status += payment.status is None
        value = payment.paid
        amount = None if value is None or amount is None else amount + value
    return Paid(amount, counted, cancelled, without_status)


def payment_status(total: Decimal | None, paid: Decimal | None) -> str | None:
    """``paid``, ``partly_paid`` or ``unpaid`` (None when the total or the paid amount is unknown)."""
    if total is None or paid is None:
        return None
    if paid <= 0:
        return "unpaid"
    return "paid" if paid >= total else "partly_paid"


@attrs.frozen
class PaidBasis:
    """How invoices are told paid or not for one call: ``payments`` (with the sums per invoice id, in
    lower case) or ``status`` (with the reason: ``not_served``, ``no_invoice_link``, ``no_amount`` or
    ``payments_incomplete``)."""

    basis: str
    paid: dict[str, Decimal] = attrs.Factory(dict)
    why: str | None = None
    read: int = 0
    without_status: int = 0

    def status_of(self, invoice: Invoice) -> str | None:
        if self.basis == "status":
            return "paid" if invoice.status == "paid" else "unpaid"
        return payment_status(invoice.total, self.paid.get(invoice.id.lower(), Decimal(0)))


@attrs.frozen
class PaymentScope:
    """What a summary says of payments: the basis, the payment status asked for, and how many invoices
    read had a payment status that could not be told (no total)."""

    basis: PaidBasis
    wanted: str | None = None
    unknown: int = 0

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"payment_basis": self.basis.basis}
        if self.basis.why:
            data["payment_basis_reason"] = self.basis.why
        if self.wanted:
            data["payment_status"] = self.wanted
        if self.unknown:
            data["payment_unknown"] = self.unknown
        return data


def _status_basis(why: str, read: int) -> PaidBasis:
    return PaidBasis("status", why=why, read=read)


async def read_paid(client: B4BClient, call: Call, entity_id: str) -> PaidBasis:
    """Every payment of the entity, summed per invoice (those not cancelled); the status basis when
    the payments cannot be read per invoice. Refused when the deadline comes first."""
    from finizi_b4b.tools import messages

    paid: dict[str, Decimal] = {}
    seen: set[str] = set()
    read = without_status = 0
    for number in range(1, MAX_PAYMENTS // MAX_PAYMENTS_PAGE + 2):
        try:
            page = await client.list_payments(entity_id, page=number, per_page=MAX_PAYMENTS_PAGE)
        except (NotFound, RequestRefused):
            if number == 1:
                return _status_basis("not_served", 0)
            raise
        except BackendTimeout:
            if call.out_of_time():
                raise ToolError(
                    ErrorCode.BACKEND_TIMEOUT, messages.payments_out_of_time(read), retryable=True
                ) from None
            raise
        new = 0
        for payment in page.items:
            if payment.id is not None:
                if payment.id in seen:
                    continue
                seen.add(payment.id)
            new += 1
            read += 1
            if payment.cancelled:
                continue
            if payment.invoice_id is None:
                return _status_basis("no_invoice_link", read)
            if payment.paid is None:
                return _status_basis("no_amount", read)
            without_status += payment.status is None
            key = payment.invoice_id.lower()
            paid[key] = paid.get(key, Decimal(0)) + payment.paid
        total = page.total
        await call.progress(read, total, f"Read {read} of {total or 'the'} payments (page {number})")
        if not new or (total is not None and read >= total) or page.has_next is False:
            break
        if total is None and page.has_next is None and len(page.items) < MAX_PAYMENTS_PAGE:
            break
        if read >= MAX_PAYMENTS:
            raise ToolError(ErrorCode.INVALID_ARGUMENTS, messages.too_many_payments(MAX_PAYMENTS))
    if total is not None and read < total:  # pages that repeated or fell short: the sums would be short
        return _status_basis("payments_incomplete", read)
    return PaidBasis("payments", paid, read=read, without_status=without_status)
