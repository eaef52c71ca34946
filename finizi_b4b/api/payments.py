"""Payments against invoices (contract part B2): an invoice's payments, paying one, the entity's list.

Nothing of these answers is evidenced beyond what the company's client sends
(part B2 grades every shape A), so the records read each field as ``None``
when the answer lacks it and keep every field as sent:

- ``GET /api/v1/invoices/{id}/payments`` names no entity in its path; the
  request names it (``ApiRequest.entity_id``) so that it carries its
  ``X-Entity-Id``. The answer is read as ``{"items": [...]}`` (with
  ``paid_amount`` and ``outstanding_amount`` when sent) or a bare list.
- ``POST /api/v1/entities/{eid}/invoices/{id}/payments`` is a write: the
  client sends an ``Idempotency-Key`` and re-sends it on every retry, so a
  lost answer retried records one payment. Its answer may be the payment with
  ``invoice_status`` and ``outstanding_amount``, or only ``queued_jobs``.
- ``GET /api/v1/entities/{eid}/payments`` pages with ``page`` and
  ``per_page`` (at most 100); its items may or may not name their invoice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from finizi_b4b.api import fields
from finizi_b4b.api.errors import Subject
from finizi_b4b.api.fields import API
from finizi_b4b.api.records import Page, Record, bad_record, records_of
from finizi_b4b.api.transport import ApiRequest

__all__ = ["MAX_PAYMENTS_PAGE", "InvoicePayments", "Payment", "PaymentCalls", "PaymentMade"]

MAX_PAYMENTS_PAGE = 100


def _id(value: Any) -> str | None:
    return str(value) if fields.is_id(value) else None


@attrs.frozen
class Payment(Record):
    """One payment (a ``payment`` of a purchase, a ``receipt`` of a sale)."""

    what: ClassVar[str] = "payment"

    @property
    def id(self) -> str | None:
        return _id(self.raw.get("id"))

    @property
    def invoice_id(self) -> str | None:
        """The invoice it pays, when the answer links it to one."""
        return _id(self.raw.get("invoice_id"))

    @property
    def status(self) -> str | None:
        return fields.trimmed(self.raw.get("status"))

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def paid(self) -> Decimal | None:
        """The amount paid (None when the answer gives none that reads as an amount)."""
        return self.amount("amount")


@attrs.frozen
class InvoicePayments(Record):
    """An invoice's payments, and the API's own paid and outstanding figures when it sends them."""

    what: ClassVar[str] = "invoice payments"
    items: list[Payment] = attrs.Factory(list)

    @classmethod
    def read(cls, data: Any) -> InvoicePayments:
        if type(data) is list:
            return cls({"items": data}, records_of(data, Payment, "payment list item"))
        if type(data) is not dict:
            raise bad_record(cls.what, "not_object", got=type(data).__name__)
        if "items" not in data:
            raise bad_record(cls.what, "missing", field="items")
        return cls(data, records_of(data["items"], Payment, "payment list item"))

    @property
    def paid_amount(self) -> Decimal | None:
        return self.amount("paid_amount")

    @property
    def outstanding_amount(self) -> Decimal | None:
        return self.amount("outstanding_amount")


@attrs.frozen
class PaymentMade(Record):
    """The answer to a payment: the payment and the invoice's state after it, or only queued jobs."""

    what: ClassVar[str] = "payment answer"

    @property
    def invoice_status(self) -> str | None:
        return fields.trimmed(self.raw.get("invoice_status"))

    @property
    def outstanding_amount(self) -> Decimal | None:
        return self.amount("outstanding_amount")

    @property
    def queued_jobs(self) -> list[Any]:
        jobs = self.raw.get("queued_jobs")
        return jobs if type(jobs) is list else []


class PaymentCalls:
    """The payment endpoints, a part of :class:`~finizi_b4b.api.client.B4BClient`."""

    if TYPE_CHECKING:

        async def _call(self, request: ApiRequest, subject: Subject) -> Any: ...

    async def invoice_payments(self, entity_id: str, invoice_id: str) -> InvoicePayments:
        """The payments of one invoice; the entity goes in ``X-Entity-Id`` as the path names none."""
        request = ApiRequest("GET", f"{API}/invoices/{invoice_id}/payments", entity_id=entity_id)
        subject = Subject("invoice_payments", (invoice_id, entity_id))
        return InvoicePayments.read(await self._call(request, subject))

    async def pay_invoice(self, entity_id: str, invoice_id: str, payment: dict[str, Any]) -> PaymentMade:
        """Record a payment of an invoice (``amount``, ``payment_method``, ``paid_at``, ``reference``)."""
        request = ApiRequest(
            "POST", f"{API}/entities/{entity_id}/invoices/{invoice_id}/payments", json=payment
        )
        return PaymentMade.of(await self._call(request, Subject("payment", (invoice_id, entity_id))))

    async def list_payments(
        self, entity_id: str, *, page: int, per_page: int, **filters: Any
    ) -> Page[Payment]:
        """One page of the entity's payments (``per_page`` at most :data:`MAX_PAYMENTS_PAGE`)."""
        query = [("page", str(page)), ("per_page", str(min(per_page, MAX_PAYMENTS_PAGE)))]
        query += [(key, str(value)) for key, value in filters.items() if value is not None]
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/payments", tuple(query))
        return Page.read(await self._call(request, Subject("entity", (entity_id,))), Payment)
