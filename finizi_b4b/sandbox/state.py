"""The sandbox's live data: records, the indexes over them, and the mutations the API makes.

Records are plain dicts in the API's own shape. Ids are UUID strings, or, for
vendors, products and invoices when ``int_ids`` is on, positive integers
handed out in order (the backend's older records look like that). Payments,
reports and jobs always have UUID ids. The journal is not stored: it is
derived from the invoices and payments on each request (:mod:`.ledger`).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "NUMBERED",
    "TAX_ID",
    "InvoiceKey",
    "State",
    "invoice_key",
    "key_of",
    "now",
    "paid_amount",
    "parent_tax_id",
    "same_company",
]

TAX_ID = re.compile(r"^[0-9]{10,14}(-[0-9]{3})?$")
NUMBERED = ("vendor", "product", "invoice")  # the kinds that get integer ids under int_ids

InvoiceKey = tuple[str, str | None, str, str]  # entity id, seller tax id, series, number without zeros


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parent_tax_id(tax_id: str) -> str:
    """``0316247298-001`` names a branch of ``0316247298``."""
    return tax_id.split("-", 1)[0]


def same_company(tax_id: str | None, other: str | None) -> bool:
    """The same tax id, or a branch and its parent (or two branches of one parent)."""
    return bool(tax_id and other) and parent_tax_id(tax_id or "") == parent_tax_id(other or "")


def invoice_key(entity_id: str, seller_tax_id: str | None, series: str, number: str) -> InvoiceKey:
    return (entity_id, seller_tax_id, series, number.lstrip("0") or "0")


def key_of(invoice: dict[str, Any]) -> InvoiceKey:
    """What makes an import of ``invoice`` again a 409."""
    return invoice_key(
        invoice["entity_id"], invoice["seller_tax_id"], invoice["invoice_series"], invoice["invoice_number"]
    )


def paid_amount(payments: list[dict[str, Any]]) -> Decimal:
    """What ``payments`` (one invoice's) paid: the sum of those not cancelled."""
    return sum((Decimal(str(p["amount"])) for p in payments if p["status"] != "cancelled"), Decimal(0))


@attrs.define
class State:
    """All sandbox data, plus the sessions; a restart resets it."""

    users: dict[str, dict[str, Any]] = attrs.Factory(dict)
    passwords: dict[str, str] = attrs.Factory(dict)  # user id -> password
    phones: dict[str, str] = attrs.Factory(dict)  # normalized phone -> user id
    memberships: dict[tuple[str, str], str] = attrs.Factory(dict)  # (user id, entity id) -> role
    entities: dict[str, dict[str, Any]] = attrs.Factory(dict)
    invoices: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)  # entity id -> newest first
    invoice_index: dict[Any, dict[str, Any]] = attrs.Factory(dict)
    vendors: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    vendor_index: dict[Any, dict[str, Any]] = attrs.Factory(dict)
    products: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    product_index: dict[Any, dict[str, Any]] = attrs.Factory(dict)
    duplicates: dict[InvoiceKey, Any] = attrs.Factory(dict)  # what makes an import a 409 -> invoice id
    access_tokens: dict[str, tuple[str, float]] = attrs.Factory(dict)  # token -> (user id, expires at)
    refresh_tokens: dict[str, str] = attrs.Factory(dict)  # token -> user id
    refresh_of: dict[str, str] = attrs.Factory(dict)  # access token -> the refresh token issued with it
    issued_tokens: list[str] = attrs.Factory(list)
    payments: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)  # entity id -> in the order made
    payment_index: dict[str, dict[str, Any]] = attrs.Factory(dict)
    registry: dict[str, dict[str, Any]] = attrs.Factory(dict)  # tax id -> the registry's company record
    renamed_tax_ids: tuple[str, ...] = ()  # companies the registry names otherwise than their invoices
    unregistered_tax_ids: tuple[str, ...] = ()  # counterparties' tax ids the registry does not know
    reports: dict[str, dict[str, Any]] = attrs.Factory(dict)  # report id -> the generated report
    jobs: dict[str, Any] = attrs.Factory(dict)  # job id -> jobs.Job
    counts: Counter[str] = attrs.Factory(Counter)
    int_ids: bool = False
    last_ids: Counter[str] = attrs.Factory(Counter)  # kind -> the last integer id handed out

    # -- reading -----------------------------------------------------------------

    def role(self, user_id: str, entity_id: str) -> str | None:
        return self.memberships.get((user_id, entity_id))

    def entities_of(self, user_id: str) -> list[tuple[dict[str, Any], str]]:
        """The entities a user belongs to, with the role, in creation order."""
        return [(self.entities[eid], role) for (uid, eid), role in self.memberships.items() if uid == user_id]

    # -- ids and indexes -----------------------------------------------------------

    def new_id(self, kind: str) -> str | int:
        """A fresh id for a record of ``kind`` (``"vendor"``, ``"invoice"``, ...)."""
        if self.int_ids and kind in NUMBERED:
            self.last_ids[kind] += 1
            return self.last_ids[kind]
        return str(uuid.uuid4())

    def number_ids(self) -> None:
        """Give vendors, products and invoices integer ids 1, 2, ... in data order (each kind its own)."""
        self.int_ids = True
        vendor_ids: dict[Any, int] = {}
        for kind, table in (("vendor", self.vendors), ("product", self.products), ("invoice", self.invoices)):
            for records in table.values():
                for record in records:
                    number = self.new_id(kind)
                    if kind == "vendor":
                        vendor_ids[record["id"]] = number  # type: ignore[assignment]
                    record["id"] = number
        for records in self.invoices.values():
            for invoice in records:
                if invoice["vendor_id"] is not None:
                    invoice["vendor_id"] = vendor_ids[invoice["vendor_id"]]
        self.reindex()

    def reindex(self) -> None:
        """Rebuild every index from the record lists."""
        self.vendor_index = {v["id"]: v for records in self.vendors.values() for v in records}
        self.product_index = {p["id"]: p for records in self.products.values() for p in records}
        self.invoice_index = {inv["id"]: inv for records in self.invoices.values() for inv in records}
        self.duplicates = {key_of(inv): inv["id"] for inv in self.invoice_index.values()}

    def owned(
        self, index: dict[Any, dict[str, Any]], record_id: Any, entity_id: str
    ) -> dict[str, Any] | None:
        """The record with that id if it belongs to the entity."""
        record = index.get(record_id)
        return record if record is not None and record["entity_id"] == entity_id else None

    # -- mutations -------------------------------------------------------------------

    def add_entity(self, entity: dict[str, Any], owner_id: str) -> None:
        self.entities[entity["id"]] = entity
        self.memberships[(owner_id, entity["id"])] = "owner"
        self.invoices[entity["id"]], self.vendors[entity["id"]], self.products[entity["id"]] = [], [], []
        self.payments[entity["id"]] = []

    def payments_of(self, invoice: dict[str, Any]) -> list[dict[str, Any]]:
        """The invoice's payments, in the order they were made."""
        return [p for p in self.payments.get(invoice["entity_id"], ()) if p["invoice_id"] == invoice["id"]]

    def add_payment(self, payment: dict[str, Any]) -> None:
        self.payments[payment["entity_id"]].append(payment)
        self.payment_index[payment["id"]] = payment

    def tax_id_taken(self, tax_id: str, other_than: str | None = None) -> bool:
        return any(e["tax_id"] == tax_id and e["id"] != other_than for e in self.entities.values())

    def duplicate_of(self, entity_id: str, seller_tax_id: str | None, series: str, number: str) -> Any:
        """The id of an invoice already imported with that seller, series and number, or None."""
        return self.duplicates.get(invoice_key(entity_id, seller_tax_id, series, number))

    def add_invoice(self, invoice: dict[str, Any]) -> None:
        invoices = self.invoices[invoice["entity_id"]]
        invoices.append(invoice)
        invoices.sort(key=lambda inv: (inv["issue_date"], inv["created_at"], str(inv["id"])), reverse=True)
        self.invoice_index[invoice["id"]] = invoice
        self.duplicates[key_of(invoice)] = invoice["id"]

    def vendor_for_seller(
        self, entity_id: str, name: str, tax_id: str, address: str | None
    ) -> dict[str, Any]:
        """The entity's vendor with that tax id, created if there is none yet."""
        for vendor in self.vendors[entity_id]:
            if vendor["tax_id"] == tax_id:
                return vendor
        vendor = {
            "id": self.new_id("vendor"),
            "entity_id": entity_id,
            "name": name,
            "tax_id": tax_id,
            "address": address,
            "phone": None,
            "email": None,
            "parent_tax_id": parent_tax_id(tax_id) if "-" in tax_id else None,
            "created_at": now(),
        }
        self.vendors[entity_id].append(vendor)
        self.vendor_index[vendor["id"]] = vendor
        return vendor
