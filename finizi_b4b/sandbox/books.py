"""The books of the demo world: seeded payments, the company registry, and making a payment.

Drawn after the rest of the world, from random generators of their own, so
that the entities, invoices, vendors and products of a seed stay exactly as
they were, and no invoice changes status or amount:

- each ``paid`` invoice gets one posted payment equal to its ``total_amount``,
  dated 0 to 30 days after its issue date, by bank transfer; a purchase's is a
  ``payment`` (``PC-YYYY-NNNN``), a sale's a ``receipt`` (``PT-YYYY-NNNN``),
  numbered per entity in date order;
- the registry holds every seeded entity, vendor and customer by tax id, named
  and addressed as on its invoices (a branch under its own ``-NNN`` tax id),
  except :attr:`State.unregistered_tax_ids` (counterparties it does not know:
  one supplier of each entity, and one customer), and with
  :attr:`State.renamed_tax_ids` (one supplier of each entity, which it names
  with another legal form than their invoices do), so that every company's
  supplier check finds something. It holds no taxpayer status.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from finizi_b4b.sandbox.seeds import VENDOR_FORMS
from finizi_b4b.sandbox.state import State, now, paid_amount

__all__ = ["new_payment", "outstanding", "payment_record", "seed_books"]

_PREFIX = {"payment": "PC", "receipt": "PT"}


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def payment_record(
    state: State,
    invoice: dict[str, Any],
    *,
    payment_id: str,
    amount: Decimal,
    payment_date: str,
    paid_at: str,
    method: str,
    created_at: str,
    **extra: Any,
) -> dict[str, Any]:
    """A posted payment of ``invoice``, numbered after the entity's payments of its type so far."""
    purchase = invoice["direction"] == 0
    kind = "payment" if purchase else "receipt"
    year = payment_date[:4]
    prefix = f"{_PREFIX[kind]}-{year}-"
    taken = sum(p["payment_number"].startswith(prefix) for p in state.payments[invoice["entity_id"]])
    return {
        "id": payment_id,
        "entity_id": invoice["entity_id"],
        "invoice_id": invoice["id"],
        "payment_number": f"{prefix}{taken + 1:04d}",
        "payment_type": kind,
        "status": "posted",
        "amount": _number(amount),
        "currency": invoice.get("currency") or "VND",
        "payment_method": method,
        "bank_account_id": extra.get("bank_account_id"),
        "payment_date": payment_date,
        "paid_at": paid_at,
        "reference": extra.get("reference"),
        "notes": extra.get("notes"),
        "payment_journal_code": extra.get("payment_journal_code"),
        "partner_id": invoice["vendor_id"] if purchase else None,
        "partner_type": "vendor" if purchase else "customer",
        "partner_name": invoice["seller_name"] if purchase else invoice["buyer_name"],
        "partner_tax_id": invoice["seller_tax_id"] if purchase else invoice["buyer_tax_id"],
        "created_at": created_at,
    }


def outstanding(state: State, invoice: dict[str, Any]) -> Decimal:
    """What is left to pay on ``invoice``: its total less its payments that are not cancelled."""
    return Decimal(str(invoice["total_amount"])) - paid_amount(state.payments_of(invoice))


def new_payment(state: State, invoice: dict[str, Any], amount: Decimal, **fields: Any) -> dict[str, Any]:
    """Record a payment of ``invoice`` (checked by the caller); paying it in full makes it ``paid``."""
    stamp = now()
    payment = payment_record(
        state, invoice, payment_id=str(uuid.uuid4()), amount=amount, created_at=stamp, **fields
    )
    state.add_payment(payment)
    if outstanding(state, invoice) <= 0 and invoice["status"] != "paid":
        invoice.update(status="paid", updated_at=stamp)
    return payment


def _seed_payments(state: State, rng: random.Random) -> None:
    for entity_id, invoices in state.invoices.items():
        state.payments[entity_id] = []
        planned = []
        for invoice in sorted(
            invoices, key=lambda inv: (inv["issue_date"], inv["created_at"], str(inv["id"]))
        ):
            if invoice["status"] != "paid":
                continue
            paid_on = dt.date.fromisoformat(invoice["issue_date"]) + dt.timedelta(days=rng.randrange(31))
            planned.append((paid_on.isoformat(), _uuid(rng), invoice))
        for paid_on, payment_id, invoice in sorted(planned, key=lambda p: (p[0], p[1])):
            series, number = invoice["invoice_series"], invoice["invoice_number"]
            payment = payment_record(
                state,
                invoice,
                payment_id=payment_id,
                amount=Decimal(str(invoice["total_amount"])),
                payment_date=paid_on,
                paid_at=f"{paid_on}T09:30:00+07:00",
                method="bank_transfer",
                created_at=f"{paid_on}T02:30:00Z",
                reference=f"TT HD {series}/{number}",
            )
            state.add_payment(payment)


def _company(tax_id: str, name: str, address: str | None) -> dict[str, Any]:
    branch = "-" in tax_id
    return {
        "tax_code": tax_id,
        "name": name,
        "address": address,
        "is_branch": branch,
        "parent_tax_code": tax_id.split("-", 1)[0] if branch else None,
    }


def _renamed(name: str) -> str:
    """The same company under another legal form."""
    for form in sorted(VENDOR_FORMS, key=len, reverse=True):
        if name.startswith(form + " "):
            other = "Công ty Cổ phần" if form != "Công ty Cổ phần" else "Công ty TNHH"
            return other + name[len(form) :]
    return "Công ty TNHH " + name


def _seed_registry(state: State, rng: random.Random) -> None:
    companies: dict[str, dict[str, Any]] = {}
    for entity in state.entities.values():
        companies[entity["tax_id"]] = _company(entity["tax_id"], entity["name"], entity.get("address"))
    for vendors in state.vendors.values():
        for vendor in vendors:
            companies[vendor["tax_id"]] = _company(vendor["tax_id"], vendor["name"], vendor.get("address"))
    customers = set()
    for invoices in state.invoices.values():
        for invoice in invoices:
            if invoice["direction"] == 1 and invoice["buyer_tax_id"] not in companies:
                tax_id = invoice["buyer_tax_id"]
                companies[tax_id] = _company(tax_id, invoice["buyer_name"], invoice.get("buyer_address"))
                customers.add(tax_id)
    # Each entity with suppliers gets one renamed and one unknown among them, so that every company's
    # supplier check finds something; and one customer is unknown too.
    renamed, unregistered, taken = [], [], set()
    for entity_id in sorted(state.vendors):
        vendors = state.vendors[entity_id]
        plain = sorted(
            v["tax_id"]
            for v in vendors
            if "-" not in v["tax_id"]
            and v["tax_id"] not in taken
            and not any(o["parent_tax_id"] == v["tax_id"] for o in vendors)
        )
        if len(plain) >= 2:
            one, other = rng.sample(plain, 2)
            renamed.append(one)
            unregistered.append(other)
            taken |= {one, other}
    if customers:
        unregistered.append(rng.choice(sorted(customers - taken)))
    for tax_id in renamed:
        companies[tax_id]["name"] = _renamed(companies[tax_id]["name"])
    for tax_id in unregistered:
        del companies[tax_id]
    state.registry = companies
    state.renamed_tax_ids, state.unregistered_tax_ids = tuple(renamed), tuple(unregistered)


def seed_books(state: State, seed: int) -> None:
    """Payments and the registry for the world of ``seed`` (its ids already final)."""
    _seed_payments(state, random.Random(f"finizi-b4b-sandbox:payments:{seed}"))
    _seed_registry(state, random.Random(f"finizi-b4b-sandbox:registry:{seed}"))
