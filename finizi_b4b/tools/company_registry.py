"""lookup_company, check_suppliers: the registry's record of a tax id, and a period's suppliers checked.

``check_suppliers`` reads the period's purchase invoices (pages of 200, the
cancelled ones left out) and gathers their suppliers: the seller's tax id, or,
where the list items carry none (ledger row 44), the invoice's ``vendor_id``
and the tax id of that vendor's record; the name on the newest invoice; the
invoices and their input VAT. It then asks the registry about each distinct
tax id, largest input VAT first, at most :data:`AT_ONCE` at a time, with
progress after each. A tax id the registry answers 404 for is ``unknown``; a
name that differs from the registry's after folding case, accents,
punctuation and legal-form words (:mod:`.company_names`) is ``renamed``. What
could not be checked (no tax id, the deadline came first, a failure) is listed
as ``not_checked`` with the reason, never dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from finizi_b4b.api.errors import ApiError, BackendTimeout, NotFound
from finizi_b4b.api.fields import DIRECTION_CODES, TAX_ID
from finizi_b4b.api.money import amount_json
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.base import Call, Handler, shortened
from finizi_b4b.tools.company_names import difference, fold
from finizi_b4b.tools.summary_answer import LEFT_OUT
from finizi_b4b.tools.summary_read import HOME_CURRENCY, Coverage

if TYPE_CHECKING:
    from finizi_b4b.api.models import Invoice
    from finizi_b4b.api.registry import Company

__all__ = ["AT_ONCE", "RegistryTools", "Supplier"]

AT_ONCE = 6  # registry look-ups in flight at once
PAGE_SIZE = 200
MAX_INVOICES = 20_000
SHOWN_IDS = 5  # invoice ids shown per supplier, newest first
_NAME_CHARS = 100


@attrs.define
class Supplier:
    """One supplier of the period: its tax id (or the vendor id that leads to it), the name on its
    newest invoice, and its invoices with their input VAT per currency."""

    tax_id: str | None
    vendor_id: str | None = None
    name: str | None = None
    newest: tuple[str, int] = ("", -1)  # (issue date, order read) of the invoice that gave the name
    invoices: list[tuple[str, str]] = attrs.Factory(list)  # (issue date, id)
    vat: dict[str, Decimal] = attrs.Factory(dict)
    reason: str | None = None  # why it was not checked
    registry_name: str | None = None
    differs: str | None = None

    def add(self, invoice: Invoice, order: int, name: str | None, currency: str) -> None:
        day = invoice.issued_on.isoformat() if invoice.issued_on else ""
        self.invoices.append((day, invoice.id))
        self.vat[currency] = self.vat.get(currency, Decimal(0)) + (invoice.tax or Decimal(0))
        if name and (day, -order) > self.newest:
            self.name, self.newest = name, (day, -order)

    def merge(self, other: Supplier) -> None:
        self.invoices += other.invoices
        for currency, tax in other.vat.items():
            self.vat[currency] = self.vat.get(currency, Decimal(0)) + tax
        if other.name and other.newest > self.newest:
            self.name, self.newest = other.name, other.newest

    @property
    def weight(self) -> tuple[Decimal, int]:
        return (sum(self.vat.values(), Decimal(0)), len(self.invoices))

    def as_json(self, *, ids: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"tax_id": self.tax_id}
        if self.tax_id is None and self.vendor_id is not None:
            data["vendor_id"] = self.vendor_id
        data["name"] = shortened(self.name, _NAME_CHARS)
        if self.registry_name is not None:
            data["registry_name"] = shortened(self.registry_name, _NAME_CHARS)
            data["differs"] = self.differs
        data["invoices"] = len(self.invoices)
        if set(self.vat) == {HOME_CURRENCY}:
            data["input_vat"] = amount_json(self.vat[HOME_CURRENCY])
        else:
            data["input_vat"] = {c: amount_json(v) for c, v in sorted(self.vat.items())}
        if ids:
            data["invoice_ids"] = [i for _, i in sorted(self.invoices, reverse=True)[:SHOWN_IDS]]
        if self.reason is not None:
            data["reason"] = self.reason
        return data


@attrs.define
class _Book:
    """The suppliers of the invoices read, keyed by tax id, else vendor id, else folded name."""

    by_key: dict[tuple[str, str], Supplier] = attrs.Factory(dict)
    coverage: Coverage = attrs.Factory(Coverage)
    left_out: int = 0
    without_currency: int = 0
    without_vat: int = 0
    _seen: set[str] = attrs.Factory(set)

    def add(self, invoice: Invoice) -> bool:
        if invoice.id in self._seen:
            self.coverage.repeated += 1
            return False
        self._seen.add(invoice.id)
        self.coverage.read += 1
        if invoice.status in LEFT_OUT:
            self.left_out += 1
            return True
        tax_id, vendor_id, name = invoice.counterparty("purchase")
        if tax_id:
            key = ("tax_id", tax_id)
        elif vendor_id:
            key = ("vendor_id", vendor_id)
        else:
            key = ("name", fold(name or ""))
        supplier = self.by_key.get(key)
        if supplier is None:
            supplier = self.by_key[key] = Supplier(tax_id, vendor_id)
            if key[0] == "name":
                supplier.reason = "no_tax_id"
        currency = invoice.currency
        if currency is None:
            self.without_currency += 1
            currency = HOME_CURRENCY
        self.without_vat += invoice.tax is None
        supplier.add(invoice, self.coverage.read, name, currency)
        return True


@attrs.define
class _Steps:
    """Progress over the phases of a check (invoices read, vendors, look-ups), always increasing."""

    call: Call
    base: int = 0
    lock: anyio.Lock = attrs.Factory(anyio.Lock)

    async def report(self, done: int, total: int | None, message: str) -> None:
        whole = None if total is None else self.base + total
        await self.call.progress(self.base + done, whole, message)

    async def each(
        self, items: list[Supplier], work: Callable[[Supplier], Awaitable[None]], what: str
    ) -> list[ApiError]:
        """``work`` for each supplier, at most :data:`AT_ONCE` at a time and none started after the
        call's deadline (those are marked ``time``), with progress after each; a failure of one is
        its reason (the failures are returned)."""
        from finizi_b4b.tools import messages

        limit, call, failures = anyio.Semaphore(AT_ONCE), self.call, []
        done = [0]

        async def one(supplier: Supplier) -> None:
            async with limit:
                if call.out_of_time():
                    supplier.reason = "time"
                else:
                    try:
                        await work(supplier)
                    except BackendTimeout as exc:
                        supplier.reason = "time" if call.out_of_time() else f"error:{exc.code}"
                        failures.append(exc)
                    except ApiError as exc:
                        supplier.reason, supplier.registry_name = f"error:{exc.code}", None
                        failures.append(exc)
            async with self.lock:
                done[0] += 1
                await self.report(done[0], len(items), messages.supplier_progress(what, done[0], len(items)))

        async with anyio.create_task_group() as group:
            for supplier in items:
                group.start_soon(one, supplier)
        self.base += len(items)
        return failures


def _result(
    period: dict[str, str], book: _Book, suppliers: list[Supplier], unknown: list[Supplier]
) -> dict[str, Any]:
    """The check's answer: what the registry does not know, what it names otherwise, what was not
    checked, and the counts; each list largest input VAT first."""
    from finizi_b4b.tools import messages

    def listed(found: list[Supplier], *, ids: bool = True) -> list[dict[str, Any]]:
        return [s.as_json(ids=ids) for s in sorted(found, key=lambda s: s.weight, reverse=True)]

    renamed = [s for s in suppliers if s.differs is not None and s.reason is None]
    not_checked = [s for s in suppliers if s.reason is not None]
    checked = len(suppliers) - len(not_checked)
    data: dict[str, Any] = {
        **period,
        "suppliers": len(suppliers),
        "checked": checked,
        "confirmed": checked - len(unknown) - len(renamed),
        "unknown": listed(unknown),
        "renamed": listed(renamed),
        "not_checked": listed(not_checked, ids=False),
        "invoices": sum(len(s.invoices) for s in suppliers),
        "cancelled_left_out": book.left_out,
    }
    if not book.coverage.complete:
        data["coverage"] = book.coverage.as_json()
    if book.without_currency:
        data["without_currency"] = book.without_currency
    if book.without_vat:
        data["without_vat"] = book.without_vat
    vat = {"unknown": _vat_of(unknown), "renamed": _vat_of(renamed)}
    return {"message": messages.supplier_check(period, data, vat), "data": data}


def _vat_of(suppliers: list[Supplier]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for supplier in suppliers:
        for currency, tax in supplier.vat.items():
            total[currency] = total.get(currency, Decimal(0)) + tax
    return total


class RegistryTools(Handler):
    async def lookup_company(self, call: Call) -> dict[str, Any]:
        from finizi_b4b.tools import messages

        entity_id, tax_id = call["entity_id"], call["tax_id"]
        try:
            company = await self.client.company(entity_id, tax_id)
        except NotFound as exc:
            if exc.status == 404:
                raise ToolError(ErrorCode.NOT_FOUND, messages.registry_unknown(tax_id)) from None
            raise
        data = {"tax_id": tax_id, **company.as_json()}
        return {"message": messages.company_found(tax_id, company), "data": data}

    async def check_suppliers(self, call: Call) -> dict[str, Any]:
        entity_id = call["entity_id"]
        period = {"date_from": call["date_from"], "date_to": call["date_to"]}
        steps = _Steps(call)
        book = await self._read(steps, entity_id, period)
        suppliers = await self._tax_ids(steps, entity_id, book)
        to_check = sorted((s for s in suppliers if s.reason is None), key=lambda s: s.weight, reverse=True)
        unknown: list[Supplier] = []

        async def look_up(supplier: Supplier) -> None:
            assert supplier.tax_id is not None
            try:
                company: Company = await self.client.company(entity_id, supplier.tax_id)
            except NotFound as exc:
                if exc.status != 404:
                    raise
                unknown.append(supplier)
                return
            if company.name is None:  # nothing to compare with: said, not guessed
                supplier.reason = "no_registry_name"
                return
            supplier.registry_name = company.name
            supplier.differs = difference(supplier.name or "", company.name)

        failures = await steps.each(to_check, look_up, "suppliers")
        if failures and all(s.reason and s.reason.startswith("error:") for s in to_check):
            raise failures[0]  # nothing could be checked at all: the first failure says why
        return _result(period, book, suppliers, unknown)

    async def _read(self, steps: _Steps, entity_id: str, period: dict[str, str]) -> _Book:
        """The period's purchase invoices, each supplier's invoices gathered; refused past the deadline."""
        from finizi_b4b.tools import messages

        call, book = steps.call, _Book()
        coverage = book.coverage
        filters = {**period, "direction": DIRECTION_CODES["purchase"]}
        for number in range(1, MAX_INVOICES // PAGE_SIZE + 2):
            try:
                page = await self.client.list_invoices(entity_id, page=number, page_size=PAGE_SIZE, **filters)
            except BackendTimeout:
                if call.out_of_time():
                    words = messages.suppliers_out_of_time(coverage.read, coverage.reported, call.deadline_s)
                    raise ToolError(ErrorCode.BACKEND_TIMEOUT, words, retryable=True) from None
                raise
            coverage.note_page(page)
            if coverage.reported is not None and coverage.reported > MAX_INVOICES:
                words = messages.too_many_purchases(coverage.reported, MAX_INVOICES)
                raise ToolError(ErrorCode.INVALID_ARGUMENTS, words)
            new = sum(1 for invoice in page.items if book.add(invoice))
            read, total = coverage.read, coverage.reported
            await steps.report(read, total, messages.supplier_progress("purchase invoices", read, total))
            if not page.items or not new:
                coverage.stopped = "repeated_page" if page.items else None
                break
            more = page.has_next if page.has_next is not None else (total is None or read < total)
            if not more:
                break
            if read >= MAX_INVOICES:
                raise ToolError(ErrorCode.INVALID_ARGUMENTS, messages.too_many_purchases(None, MAX_INVOICES))
        steps.base += coverage.read
        return book

    async def _tax_ids(self, steps: _Steps, entity_id: str, book: _Book) -> list[Supplier]:
        """Every supplier with a tax id: those keyed by vendor id get their vendor record's (merged with
        a supplier of the same tax id); those that have none keep the reason."""
        by_tax = {s.tax_id: s for (kind, _), s in book.by_key.items() if kind == "tax_id"}
        others = [s for (kind, _), s in book.by_key.items() if kind == "name"]
        pending = [s for (kind, _), s in book.by_key.items() if kind == "vendor_id"]

        async def vendor_tax_id(supplier: Supplier) -> None:
            assert supplier.vendor_id is not None
            try:
                vendor = await self.client.get_vendor(entity_id, supplier.vendor_id)
            except NotFound:
                supplier.reason = "vendor_not_found"
                return
            tax_id = (vendor.tax_id or "").strip()
            if TAX_ID.fullmatch(tax_id):
                supplier.tax_id = tax_id
            else:
                supplier.reason = "no_tax_id"

        await steps.each(pending, vendor_tax_id, "vendors")
        for supplier in pending:
            if supplier.tax_id is None:
                others.append(supplier)
            elif supplier.tax_id in by_tax:
                by_tax[supplier.tax_id].merge(supplier)
            else:
                by_tax[supplier.tax_id] = supplier
        return [*by_tax.values(), *others]
