"""What an invoice has been paid: its payments that are not cancelled, against its total.

Nothing the company's client reads says whether an invoice is paid (contract
part B2), so it is computed, and every figure says so (basis ``payments``):
the sum of the invoice's payments that are not cancelled, against the
invoice's ``total_amount``: ``paid`` when it reaches the total,
``partly_paid`` when it is more than 0 and less, ``unpaid`` when 0. A payment
without a status is counted (it is not known to be cancelled).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from finizi_b4b.api.payments import Payment

__all__ = ["PAYMENT_STATUSES", "Paid", "paid_of", "payment_status"]

PAYMENT_STATUSES = ("paid", "partly_paid", "unpaid")


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
