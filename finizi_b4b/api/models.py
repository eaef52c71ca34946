"""The wire records: each a thin view over an API answer, with typed properties for what the tools read.

Every record keeps the answer it came from (see :mod:`finizi_b4b.api.records`);
the properties read it with the checks of :mod:`finizi_b4b.api.fields`. What
the contract only assumes (ledger part A) reads as ``None`` when the answer
lacks it, so that a tool can say what was missing rather than fill it in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from finizi_b4b.api import fields
from finizi_b4b.api.fields import Direction
from finizi_b4b.api.records import Identified, Page, Record, bad_record

__all__ = [
    "Entity",
    "Invoice",
    "InvoicePage",
    "LineItem",
    "Party",
    "Product",
    "SimilarProduct",
    "TokenPair",
    "User",
    "Vendor",
]

_SIDES = {"purchase": "seller", "sales": "buyer"}


@attrs.frozen
class TokenPair:
    """The tokens of a login or refresh answer (nothing else of it is kept); never shown in ``repr``."""

    access_token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def of(cls, data: Any) -> TokenPair:
        if type(data) is not dict:
            raise bad_record("token answer", "not_object", got=type(data).__name__)
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if type(access) is not str:
            raise bad_record(
                "token answer", "missing" if access is None else "wrong_shape", field="access_token"
            )
        if refresh is not None and type(refresh) is not str:
            raise bad_record("token answer", "wrong_shape", field="refresh_token")
        return cls(access, refresh)


@attrs.frozen
class User(Identified):
    what: ClassVar[str] = "user"


@attrs.frozen
class Entity(Identified):
    """A company the user works for; ``tax_id`` is its MST (sent when the list is asked for detail)."""

    what: ClassVar[str] = "entity"

    @property
    def name(self) -> str | None:
        return fields.text(self.raw.get("name"))

    @property
    def tax_id(self) -> str | None:
        return fields.text(self.raw.get("tax_id")) or None


@attrs.frozen
class Party:
    """One side of an invoice as its list item or detail names it."""

    tax_id: str | None
    name: str | None


@attrs.frozen
class LineItem(Record):
    """One invoice line; ``vat_rate`` is in percent here (0, 5, 8, 10), as the invoices carry it."""

    what: ClassVar[str] = "line item"

    @property
    def amount_value(self) -> Decimal | None:
        return self.amount("amount")


@attrs.frozen
class Invoice(Identified):
    what: ClassVar[str] = "invoice"

    @property
    def series(self) -> str | None:
        return fields.text(self.raw.get("invoice_series"))

    @property
    def number(self) -> str | None:
        value = self.raw.get("invoice_number")
        return str(value) if type(value) in (str, int) else None

    @property
    def issued_on(self) -> dt.date | None:
        """The issue date: the first ten characters of ``issue_date`` (ledger row 46)."""
        return fields.day(self.raw.get("issue_date"))

    @property
    def direction(self) -> Direction | None:
        return fields.direction(self.raw.get("direction"))

    @property
    def status(self) -> str | None:
        return fields.trimmed(self.raw.get("status"))

    @property
    def currency(self) -> str | None:
        """The currency as sent (None when the API sent none; the contract assumes VND then)."""
        return fields.trimmed(self.raw.get("currency"))

    @property
    def net(self) -> Decimal | None:
        return self.amount("total_amount_before_tax")

    @property
    def tax(self) -> Decimal | None:
        return self.amount("total_tax_amount")

    @property
    def total(self) -> Decimal | None:
        return self.amount("total_amount")

    def party(self, side: str) -> Party:
        """The ``seller`` or ``buyer`` as the answer names it."""
        raw = self.raw
        return Party(fields.trimmed(raw.get(f"{side}_tax_id")), fields.trimmed(raw.get(f"{side}_name")))

    @property
    def vendor_id(self) -> str | None:
        value = self.raw.get("vendor_id")
        return str(value) if fields.is_id(value) else None

    @property
    def vendor_name(self) -> str | None:
        return fields.trimmed(self.raw.get("vendor_name"))

    def counterparty(self, direction: Direction | None = None) -> tuple[str | None, str | None, str | None]:
        """The other party's tax id, the API's vendor id and the name: the seller of a purchase, the
        buyer of a sale (``direction`` when the invoice does not say its own)."""
        side = _SIDES.get(self.direction or direction or "")
        party = self.party(side) if side else Party(None, None)
        return party.tax_id, self.vendor_id, party.name or self.vendor_name

    @property
    def line_items(self) -> list[LineItem]:
        lines = self.raw.get("line_items")
        if type(lines) is not list:
            return []
        return [LineItem(line) for line in lines if type(line) is dict]


@attrs.frozen
class InvoicePage(Page[Invoice]):
    """A page of invoices, with the API's optional sums over all matching invoices (their meaning is
    assumed: ledger rows 41-42)."""

    @property
    def total_amount(self) -> Decimal | None:
        return self.amount("total_amount")

    @property
    def aggregations(self) -> dict[str, Any] | None:
        value = self.raw.get("aggregations")
        return value if type(value) is dict else None


@attrs.frozen
class Vendor(Identified):
    what: ClassVar[str] = "vendor"

    @property
    def name(self) -> str | None:
        return fields.text(self.raw.get("name"))

    @property
    def tax_id(self) -> str | None:
        return fields.text(self.raw.get("tax_id"))


@attrs.frozen
class Product(Identified):
    """The backend's ``ProductBase``: ``code`` is the SKU, ``vat_rate`` (when sent) a fraction (0.1)."""

    what: ClassVar[str] = "product"

    @property
    def vat_rate(self) -> float | None:
        return fields.fraction(self.raw.get("vat_rate"))

    @property
    def vat_rate_percent(self) -> int | float | None:
        """The VAT rate in percent, as invoice lines carry it (None when not sent as a fraction)."""
        rate = self.vat_rate
        return None if rate is None else fields.percent(rate)

    @property
    def vat_rate_unread(self) -> bool:
        """Whether a ``vat_rate`` was sent that is not a fraction between 0 and 1, as assumed."""
        return self.raw.get("vat_rate") is not None and self.vat_rate is None


@attrs.frozen
class SimilarProduct(Record):
    """One semantic-search match. ``entity_id`` here is the searched object's id, not the company's."""

    what: ClassVar[str] = "semantic search match"

    @classmethod
    def of(cls, data: Any) -> SimilarProduct:
        match = super().of(data)
        if fields.number(data.get("similarity")) is None:
            raise bad_record(
                cls.what, "missing" if "similarity" not in data else "wrong_shape", field="similarity"
            )
        if type(data.get("data")) is not dict:
            raise bad_record(cls.what, "missing" if "data" not in data else "wrong_shape", field="data")
        return match

    @property
    def similarity(self) -> float:
        return self.raw["similarity"]

    def product(self) -> Product:
        """The matched product; its id is ``data.id``, else ``entity_id`` when the match is a product."""
        data = self.raw["data"]
        entity_id = self.raw.get("entity_id")
        if data.get("id") is None and self.raw.get("entity_type") == "product" and fields.is_id(entity_id):
            data = {"id": entity_id, **{k: v for k, v in data.items() if k != "id"}}
        return Product.of(data)
