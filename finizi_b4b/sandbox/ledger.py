"""The books: a chart of accounts (TT133/TT200) and the journal derived from invoices and payments.

Nothing here is stored: the journal is computed from the live invoices and
payments, so an imported invoice or a new payment is in the books at once.

- One posted entry per issued, validated or paid invoice (none for a draft or
  a cancelled one), dated on its issue date. A purchase: Dr 1561 (goods) and
  Dr 642 (services) the net amounts, Dr 1331 the tax, Cr 331 the total. A
  sale: Dr 131 the total, Cr 5111 (goods) and Cr 5112 (services) the net
  amounts, Cr 33311 the tax. A line is a service when the entity's product of
  that name is one (``inventory_type``), or, for a line naming no product,
  when its description starts with a service word (``dịch vụ``, ``phí``,
  ``cước``); otherwise goods. Zero lines are left out.
- One posted entry per payment that is not cancelled, dated on its payment
  date: a purchase's payment Dr 331 / Cr 1121, a sale's receipt Dr 1121 / Cr 131.

Amounts are :class:`~decimal.Decimal` here and decimal strings with two
places (``"1234.00"``) on the wire (:func:`money`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from finizi_b4b.sandbox.similarity import fold
from finizi_b4b.sandbox.state import State

__all__ = [
    "ACCOUNTS",
    "CHART",
    "POSTED_INVOICE_STATUSES",
    "Balance",
    "Entry",
    "Line",
    "balances",
    "chart_row",
    "entries_of",
    "is_service",
    "money",
]

CHART = (
    # account code, name, normal balance
    ("111", "Tiền mặt", "debit"),
    ("1111", "Tiền Việt Nam", "debit"),
    ("112", "Tiền gửi ngân hàng", "debit"),
    ("1121", "Tiền Việt Nam gửi ngân hàng", "debit"),
    ("131", "Phải thu của khách hàng", "debit"),
    ("133", "Thuế GTGT được khấu trừ", "debit"),
    ("1331", "Thuế GTGT được khấu trừ của hàng hóa, dịch vụ", "debit"),
    ("156", "Hàng hóa", "debit"),
    ("1561", "Giá mua hàng hóa", "debit"),
    ("331", "Phải trả cho người bán", "credit"),
    ("333", "Thuế và các khoản phải nộp Nhà nước", "credit"),
    ("3331", "Thuế giá trị gia tăng phải nộp", "credit"),
    ("33311", "Thuế GTGT đầu ra", "credit"),
    ("511", "Doanh thu bán hàng và cung cấp dịch vụ", "credit"),
    ("5111", "Doanh thu bán hàng hóa", "credit"),
    ("5112", "Doanh thu cung cấp dịch vụ", "credit"),
    ("632", "Giá vốn hàng bán", "debit"),
    ("642", "Chi phí quản lý kinh doanh", "debit"),
)
ACCOUNTS = {code: (name, normal) for code, name, normal in CHART}
POSTED_INVOICE_STATUSES = frozenset({"issued", "validated", "paid"})
_SERVICE_WORDS = ("dich vu", "phi ", "cuoc ")
_ZERO = Decimal(0)
_NAMESPACE = uuid.UUID("5b0c3f0e-6f43-4f7e-9d0a-8f1d2c3b4a59")


def money(value: Decimal | int) -> str:
    """An amount on the wire: a decimal string with two places."""
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


def amount(value: Any) -> Decimal:
    return Decimal(str(value))


def chart_row(code: str) -> dict[str, str]:
    name, normal = ACCOUNTS[code]
    return {"account_code": code, "account_name": name, "normal_balance": normal}


@attrs.frozen
class Line:
    account_code: str
    debit: Decimal
    credit: Decimal
    description: str


@attrs.frozen
class Entry:
    """One posted journal entry; its lines' debits equal its credits."""

    id: str
    entity_id: str
    entry_number: str
    entry_date: str
    reference_type: str  # "invoice" or "payment"
    reference_id: Any
    description: str
    lines: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.debit for line in self.lines), _ZERO)


def is_service(description: str, product_types: dict[str, str]) -> bool:
    folded = fold(description or "")
    if folded in product_types:
        return product_types[folded] == "service"
    return folded.startswith(_SERVICE_WORDS) or folded in {w.strip() for w in _SERVICE_WORDS}


def _lines(*parts: tuple[str, Decimal, Decimal, str]) -> tuple[Line, ...]:
    return tuple(Line(code, debit, credit, text) for code, debit, credit, text in parts if debit or credit)


def _invoice_entry(invoice: dict[str, Any], product_types: dict[str, str]) -> Entry:
    services = sum(
        (
            amount(line["amount"])
            for line in invoice["line_items"]
            if is_service(line["description"], product_types)
        ),
        _ZERO,
    )
    net, tax, total = (
        amount(invoice[k]) for k in ("total_amount_before_tax", "total_tax_amount", "total_amount")
    )
    goods = net - services
    number = f"{invoice['invoice_series']}/{invoice['invoice_number']}"
    if invoice["direction"] == 0:
        text = f"Mua hàng theo hóa đơn {number} của {invoice['seller_name']}"
        lines = _lines(
            ("1561", goods, _ZERO, text),
            ("642", services, _ZERO, text),
            ("1331", tax, _ZERO, f"Thuế GTGT đầu vào hóa đơn {number}"),
            ("331", _ZERO, total, text),
        )
    else:
        text = f"Bán hàng theo hóa đơn {number} cho {invoice['buyer_name']}"
        lines = _lines(
            ("131", total, _ZERO, text),
            ("5111", _ZERO, goods, text),
            ("5112", _ZERO, services, text),
            ("33311", _ZERO, tax, f"Thuế GTGT đầu ra hóa đơn {number}"),
        )
    return Entry(
        id=str(uuid.uuid5(_NAMESPACE, f"invoice:{invoice['id']}")),
        entity_id=invoice["entity_id"],
        entry_number=f"HD-{invoice['invoice_series']}-{invoice['invoice_number']}",
        entry_date=invoice["issue_date"],
        reference_type="invoice",
        reference_id=invoice["id"],
        description=text,
        lines=lines,
    )


def _payment_entry(payment: dict[str, Any]) -> Entry:
    value = amount(payment["amount"])
    if payment["payment_type"] == "payment":
        text = f"Trả tiền cho {payment['partner_name']} ({payment['payment_number']})"
        lines = _lines(("331", value, _ZERO, text), ("1121", _ZERO, value, text))
    else:
        text = f"Thu tiền của {payment['partner_name']} ({payment['payment_number']})"
        lines = _lines(("1121", value, _ZERO, text), ("131", _ZERO, value, text))
    return Entry(
        id=str(uuid.uuid5(_NAMESPACE, f"payment:{payment['id']}")),
        entity_id=payment["entity_id"],
        entry_number=payment["payment_number"],
        entry_date=payment["payment_date"],
        reference_type="payment",
        reference_id=payment["id"],
        description=text,
        lines=lines,
    )


def entries_of(state: State, entity_id: str) -> list[Entry]:
    """Every posted entry of the entity, oldest first (invoices before payments on one day)."""
    product_types = {fold(p["name"]): p["inventory_type"] for p in state.products.get(entity_id, ())}
    entries = [
        _invoice_entry(invoice, product_types)
        for invoice in state.invoices.get(entity_id, ())
        if invoice["status"] in POSTED_INVOICE_STATUSES
    ]
    entries += [_payment_entry(p) for p in state.payments.get(entity_id, ()) if p["status"] != "cancelled"]
    entries.sort(key=lambda e: (e.entry_date, e.reference_type != "invoice", e.entry_number, e.id))
    return entries


@attrs.define
class Balance:
    """One account's figures over a period: net opening, the period's movements, net closing."""

    account_code: str
    opening: Decimal = _ZERO  # debit minus credit, before the period
    debit: Decimal = _ZERO
    credit: Decimal = _ZERO

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit


def balances(entries: Iterable[Entry], from_date: str | None, to_date: str | None) -> list[Balance]:
    """Per account with any entry up to ``to_date``: its balance, by account code (``None``: open-ended)."""
    found: dict[str, Balance] = {}
    for entry in entries:
        if to_date is not None and entry.entry_date > to_date:
            continue
        before = from_date is not None and entry.entry_date < from_date
        for line in entry.lines:
            row = found.setdefault(line.account_code, Balance(line.account_code))
            if before:
                row.opening += line.debit - line.credit
            else:
                row.debit += line.debit
                row.credit += line.credit
    return [found[code] for code in sorted(found)]
