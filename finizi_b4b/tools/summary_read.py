"""Reading invoices for a summary: each one summed once, in its group, and what paging really covered.

:class:`Grouper` adds invoices up per group with exact arithmetic. Each invoice
is counted once by its id, however the pages repeat it; its counterparty (the
``vendor`` grouping) is keyed by the best key every invoice has: the tax id,
else the API's ``vendor_id``, else the name (the list items' tax ids are an
assumption of the contract, ledger row 44). :class:`Coverage` holds what the
paging saw against what the API said (``total``, ``pages``, ``has_next``), so
that a summary of fewer invoices than the API reported is never shown as a
complete one.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio.lowlevel
import attrs

from finizi_b4b.tools.sums import Amounts, Sums

if TYPE_CHECKING:
    from finizi_b4b.api.fields import Direction
    from finizi_b4b.api.models import Invoice, InvoicePage
    from finizi_b4b.tools.paid import PaidBasis

__all__ = ["CHUNK", "HOME_CURRENCY", "VENDOR_KEYS", "Coverage", "Grouper", "Key"]

HOME_CURRENCY = "VND"
Key = tuple[str | None, ...]
CHUNK = 500  # groups merged, ranked or summed between two checkpoints of the event loop
# The keys a counterparty can be grouped by, best first.
VENDOR_KEYS = ("tax_id", "vendor_id", "name")


def _period(name: str, invoice: Invoice) -> str | None:
    day = invoice.issued_on
    if day is None:
        return None
    if name == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if name == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


@attrs.define
class Coverage:
    """How many distinct invoices paging read, against what the API reported, and why it stopped."""

    read: int = 0
    repeated: int = 0
    pages: int = 0
    first_total: int | None = None
    reported: int | None = None
    pages_reported: int | None = None
    stopped: str | None = None  # "repeated_page" when a page added no new invoice

    def note_page(self, page: InvoicePage) -> None:
        self.pages += 1
        if page.total is not None:
            if self.first_total is None:
                self.first_total = page.total
            self.reported = page.total
        if page.pages is not None:
            self.pages_reported = page.pages

    @property
    def changed(self) -> bool:
        return self.first_total is not None and self.reported != self.first_total

    @property
    def complete(self) -> bool:
        if self.stopped or self.changed:
            return False
        if self.reported is not None:
            return self.read == self.reported
        if self.pages_reported is not None:
            return self.pages >= self.pages_reported
        return True

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"complete": self.complete, "read": self.read, "reported": self.reported}
        if self.changed:
            data["reported_first"] = self.first_total
        if self.repeated:
            data["repeated"] = self.repeated
        if self.stopped:
            data["stopped"] = self.stopped
        return data


@attrs.define
class Grouper:
    """Adds invoices up per group; each invoice is counted once (by id), whatever the paging does.

    ``direction`` is the direction the list was filtered by, if any: it tells the
    counterparty of an item that does not carry its own direction. ``paid`` tells
    each invoice's payment status (for the ``payment_status`` grouping), and an
    invoice whose status is not ``payment_filter`` (when given) is read but not
    summed; ``payment_unknown`` counts those whose payment status cannot be told.
    """

    group_by: tuple[str, ...]
    left_out: tuple[str, ...] = ()  # statuses counted apart, in ``excluded``, and not summed
    direction: Direction | None = None
    groups: dict[tuple[Any, ...], Amounts] = attrs.Factory(dict)
    excluded: Amounts = attrs.Factory(dict)
    incomplete: int = 0
    coverage: Coverage = attrs.Factory(Coverage)
    names: dict[tuple[int, str], str] = attrs.Factory(dict)  # (vendor key index, value) -> name
    without_currency: int = 0
    paid: PaidBasis | None = None
    payment_filter: str | None = None
    payment_unknown: int = 0
    _seen: set[str] = attrs.Factory(set)
    _has: list[int] = attrs.Factory(lambda: [0, 0, 0])  # how many summed invoices have each vendor key

    def add_page(self, items: Iterable[Invoice]) -> int:
        """Add a page's invoices; how many of them were new (not read on an earlier page)."""
        return sum(1 for invoice in items if self.add(invoice))

    def add(self, invoice: Invoice) -> bool:
        ident = invoice.id  # every record has one: it is checked when the page is read
        if ident in self._seen:
            self.coverage.repeated += 1
            return False
        self._seen.add(ident)
        self.coverage.read += 1
        if self.paid is not None:
            paid = self.paid.status_of(invoice)
            self.payment_unknown += paid is None
            if self.payment_filter is not None and paid != self.payment_filter:
                return True
        amounts = (invoice.net, invoice.tax, invoice.total)
        net, tax, total = (a if a is not None else Decimal(0) for a in amounts)
        currency = invoice.currency
        if currency is None:
            self.without_currency += 1
            currency = HOME_CURRENCY
        sums = Sums(1, net, tax, total)
        if invoice.status in self.left_out:
            self.excluded.setdefault(currency, Sums()).add(sums)
            return True
        if None in amounts:
            self.incomplete += 1
        key = tuple(self._key_part(name, invoice) for name in self.group_by)
        self.groups.setdefault(key, {}).setdefault(currency, Sums()).add(sums)
        return True

    def _key_part(self, name: str, invoice: Invoice) -> Any:
        if name in ("month", "quarter", "year"):
            return _period(name, invoice)
        if name == "vendor":
            parts = invoice.counterparty(self.direction)
            for index, value in enumerate(parts):
                if value is not None:
                    self._has[index] += 1
                    if parts[2] is not None:
                        self.names.setdefault((index, value), parts[2])  # the newest invoice's name
            return parts
        if name == "direction":
            return invoice.direction
        if name == "status":
            return invoice.status
        if name == "payment_status" and self.paid is not None:
            return self.paid.status_of(invoice)
        return None

    def vendor_key(self) -> tuple[int, int]:
        """The vendor key that groups (an index into :data:`VENDOR_KEYS`) and how many summed
        invoices lack it: the first key every invoice has, else the one most of them have."""
        summed = sum(sums.count for amounts in self.groups.values() for sums in amounts.values())
        best = max(range(len(VENDOR_KEYS)), key=lambda i: (self._has[i], -i))
        for index, count in enumerate(self._has):
            if count == summed:
                best = index
                break
        return best, summed - self._has[best]

    async def final_groups(self) -> tuple[dict[Key, Amounts], dict[str, str], tuple[int, int]]:
        """The groups with each vendor part reduced to the chosen key, the vendors' names, and
        :meth:`vendor_key` ((0, 0) without a vendor grouping). A checkpoint every :data:`CHUNK`
        groups: thousands of vendors never hold up the server."""
        if "vendor" not in self.group_by:
            return self.groups, {}, (0, 0)
        at = self.group_by.index("vendor")
        chosen = self.vendor_key()
        index = chosen[0]
        merged: dict[Key, Amounts] = {}
        for done, (key, amounts) in enumerate(self.groups.items(), 1):
            value = key[at][index]
            final = (*key[:at], value, *key[at + 1 :])
            into = merged.setdefault(final, {})
            for currency, sums in amounts.items():
                into.setdefault(currency, Sums()).add(sums)
            if done % CHUNK == 0:
                await anyio.lowlevel.checkpoint()
        names = {value: name for (i, value), name in self.names.items() if i == index}
        return merged, names, chosen
