"""The sandbox's demo world: users, entities, invoices, vendors, products, drawn from one seed.

Everything is generated from one seed with :class:`random.Random`, so a given
seed always gives the same names and amounts, and the same ids. With
``int_ids`` the same world is served with integer ids for vendors, products
and invoices. Records are plain dicts in the API's own shape. Payments and
the company registry are drawn last, by :mod:`.books`.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from typing import Any

from finizi_b4b.sandbox.books import seed_books
from finizi_b4b.sandbox.seeds import (
    ACCOUNTANT_ENTITY,
    CITIES,
    CUSTOMERS,
    DEMO_ACCOUNTANT,
    DEMO_ADMIN,
    ENTITY_SEEDS,
    EPOCH,
    PRODUCT_BASES,
    PRODUCT_VARIANTS,
    SERIES,
    STATUS_WEIGHTS,
    STATUSES,
    STREETS,
    VAT_RATE_IDS,
    VAT_RATES,
    VAT_WEIGHTS,
    VENDOR_CORES,
    VENDOR_FORMS,
    VENDOR_TRADES,
    DemoUser,
    normalize_phone,
)
from finizi_b4b.sandbox.state import State

__all__ = [
    "DEMO_ACCOUNTANT",
    "DEMO_ADMIN",
    "STATUSES",
    "DemoUser",
    "State",
    "build_state",
    "make_invoice",
    "normalize_phone",
]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stamp(rng: random.Random, start: dt.datetime = EPOCH, days: int = 600) -> str:
    moment = start + dt.timedelta(seconds=rng.randrange(days * 86400))
    return moment.isoformat().replace("+00:00", "Z")


def _tax_id(rng: random.Random, used: set[str]) -> str:
    while True:
        value = f"0{rng.randrange(100_000_000, 999_999_999)}"
        if value not in used:
            used.add(value)
            return value


def _address(rng: random.Random) -> str:
    return f"{rng.randrange(1, 400)} {rng.choice(STREETS)}, {rng.choice(CITIES)}"


def _money(value: float) -> int:
    return round(value)


def _vendors(rng: random.Random, entity_id: str, used: set[str]) -> list[dict[str, Any]]:
    vendors = []
    names: set[str] = set()
    while len(vendors) < 56:
        name = f"{rng.choice(VENDOR_FORMS)} {rng.choice(VENDOR_TRADES)} {rng.choice(VENDOR_CORES)}"
        if name in names:
            continue
        names.add(name)
        vendors.append(
            {
                "id": _uuid(rng),
                "entity_id": entity_id,
                "name": name,
                "tax_id": _tax_id(rng, used),
                "address": _address(rng),
                "phone": f"028{rng.randrange(30_000_000, 39_999_999)}",
                "email": None,
                "parent_tax_id": None,
                "created_at": _stamp(rng),
            }
        )
    # A distributor with a Hà Nội branch: the branch bills under NNNNNNNNNN-001.
    parent = vendors[0]
    parent["name"] = "Công ty Cổ phần Phân phối Miền Nam"
    branch = vendors[1]
    branch.update(
        name="Chi nhánh Hà Nội - Công ty Cổ phần Phân phối Miền Nam",
        tax_id=f"{parent['tax_id']}-001",
        parent_tax_id=parent["tax_id"],
        address="18 Láng Hạ, Quận Đống Đa, Hà Nội",
    )
    for vendor in vendors:
        slug = "".join(ch for ch in vendor["tax_id"] if ch.isdigit())[-4:]
        vendor["email"] = f"hoadon{slug}@example.vn"
    return vendors


def _products(rng: random.Random, entity_id: str, prefix: str) -> list[dict[str, Any]]:
    combos = [(base, variant) for base in PRODUCT_BASES for variant in PRODUCT_VARIANTS]
    rng.shuffle(combos)
    products = []
    for number, ((name, unit, price, rate, category), (suffix, factor)) in enumerate(combos[:210], start=1):
        products.append(
            {
                "id": _uuid(rng),
                "entity_id": entity_id,
                "name": name + suffix,
                "code": f"{prefix}-{number:04d}",
                "unit_of_measurement": unit,
                "default_sell_price": _money(price * factor / 100) * 100,
                "inventory_type": "service" if category == "Dịch vụ" else "goods",
                "default_vat_rate_id": VAT_RATE_IDS[rate],
                "vat_rate": rate / 100,
                "category": category,
                "description": f"{category}: {name.lower()}{suffix}",
                "is_active": True,
                "created_at": _stamp(rng),
            }
        )
    return products


def make_invoice(
    *,
    invoice_id: str,
    entity: dict[str, Any],
    series: str,
    number: str,
    issue_date: dt.date,
    direction: int,
    status: str,
    counterpart: dict[str, Any],
    vendor_id: str | None,
    lines: list[dict[str, Any]],
    created_at: str,
    currency: str = "VND",
) -> dict[str, Any]:
    """An invoice record whose totals are the sums of its lines."""
    line_items = []
    before_tax = tax = 0
    for number_in_list, line in enumerate(lines, start=1):
        amount = _money(line["quantity"] * line["unit_price"])
        line_tax = _money(amount * line["vat_rate"] / 100)
        before_tax += amount
        tax += line_tax
        line_items.append(
            {
                "line_number": number_in_list,
                "description": line["description"],
                "unit": line.get("unit"),
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "vat_rate": line["vat_rate"],
                "amount": amount,
                "tax_amount": line_tax,
            }
        )
    seller, buyer = (counterpart, entity) if direction == 0 else (entity, counterpart)
    return {
        "id": invoice_id,
        "entity_id": entity["id"],
        "invoice_series": series,
        "invoice_number": number,
        "issue_date": issue_date.isoformat(),
        "direction": direction,
        "status": status,
        "seller_name": seller["name"],
        "seller_tax_id": seller.get("tax_id"),
        "seller_address": seller.get("address"),
        "buyer_name": buyer["name"],
        "buyer_tax_id": buyer.get("tax_id"),
        "buyer_address": buyer.get("address"),
        "vendor_id": vendor_id,
        "currency": currency,
        "total_amount_before_tax": before_tax,
        "total_tax_amount": tax,
        "total_amount": before_tax + tax,
        "line_items": line_items,
        "created_at": created_at,
        "updated_at": created_at,
    }


def _invoices(
    rng: random.Random,
    entity: dict[str, Any],
    count: int,
    vendors: list[dict[str, Any]],
    products: list[dict[str, Any]],
    used: set[str],
) -> list[dict[str, Any]]:
    customers = [{"name": name, "tax_id": _tax_id(rng, used), "address": _address(rng)} for name in CUSTOMERS]
    numbers: Counter[str] = Counter()
    start = dt.date(2025, 1, 1)
    span = (dt.date(2026, 10, 31) - start).days
    invoices = []
    for _ in range(count):
        direction = 0 if rng.random() < 0.6 else 1
        series = rng.choice(SERIES)
        numbers[series] += 1
        issue_date = start + dt.timedelta(days=rng.randrange(span + 1))
        if direction == 0:
            vendor = rng.choice(vendors)
            counterpart, vendor_id = vendor, vendor["id"]
        else:
            counterpart, vendor_id = rng.choice(customers), None
        lines = []
        for product in rng.sample(products, rng.randrange(1, 6)):
            usual = round(product["vat_rate"] * 100)
            rate = usual if rng.random() < 0.8 else rng.choices(VAT_RATES, VAT_WEIGHTS)[0]
            lines.append(
                {
                    "description": product["name"],
                    "unit": product["unit_of_measurement"],
                    "quantity": rng.choice((1, 1, 2, 3, 5, 10, 12, 20, 50, 100)),
                    "unit_price": product["default_sell_price"],
                    "vat_rate": rate,
                }
            )
        created = dt.datetime.combine(issue_date, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(
            minutes=rng.randrange(600)
        )
        invoices.append(
            make_invoice(
                invoice_id=_uuid(rng),
                entity=entity,
                series=series,
                number=str(numbers[series] * 7 + rng.randrange(7)),
                issue_date=issue_date,
                direction=direction,
                status=rng.choices(STATUSES, STATUS_WEIGHTS)[0],
                counterpart=counterpart,
                vendor_id=vendor_id,
                lines=lines,
                created_at=created.isoformat().replace("+00:00", "Z"),
            )
        )
    invoices.sort(key=lambda inv: (inv["issue_date"], inv["created_at"], inv["id"]), reverse=True)
    return invoices


def build_state(seed: int = 0, *, int_ids: bool = False) -> State:
    """The whole demo world for ``seed``; ``int_ids`` numbers vendors, products and invoices."""
    rng = random.Random(seed)
    state = State()
    admin_id, accountant_id = _uuid(rng), _uuid(rng)
    for user_id, user, admin in ((admin_id, DEMO_ADMIN, True), (accountant_id, DEMO_ACCOUNTANT, False)):
        state.users[user_id] = {
            "id": user_id,
            "email": user.email,
            "phone": user.phone,
            "full_name": user.full_name,
            "is_super_admin": admin,
            "is_active": True,
            "created_at": _stamp(rng),
        }
        state.passwords[user_id] = user.password
        state.phones[normalize_phone(user.phone)] = user_id
    used: set[str] = {seed_row[1] for seed_row in ENTITY_SEEDS}
    for index, (name, tax_id, address, phone, email, count) in enumerate(ENTITY_SEEDS):
        entity_id = _uuid(rng)
        created = _stamp(rng, days=30)
        entity = {
            "id": entity_id,
            "name": name,
            "tax_id": tax_id,
            "address": address,
            "phone": phone,
            "email": email,
            "created_at": created,
            "updated_at": created,
        }
        state.entities[entity_id] = entity
        state.memberships[(admin_id, entity_id)] = "owner"
        if index == ACCOUNTANT_ENTITY:
            state.memberships[(accountant_id, entity_id)] = "accountant"
        vendors = _vendors(rng, entity_id, used)
        products = _products(rng, entity_id, f"SP{index + 1}")
        invoices = _invoices(rng, entity, count, vendors, products, used)
        state.vendors[entity_id] = vendors
        state.products[entity_id] = products
        state.invoices[entity_id] = invoices
    if int_ids:
        state.number_ids()
    else:
        state.reindex()
    seed_books(state, seed)
    return state
