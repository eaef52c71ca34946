"""List tools read their compact fields straight from the answer: the same rows and errors as records.

``pick_page`` skips building a typed record per list item when the item is
usable as sent; it must give exactly what structuring the page and picking
the fields from each record gives, errors (and their facts) included.
"""

from __future__ import annotations

import json
import random

import attrs
import pytest

from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import Invoice, InvoicePage, Product, Vendor, pick_page, structure_page

VALUES = [None, 0, 1, -3, 2.5, "", "x", "2025-01-02", "12.50", True, False, [], {"a": 1}, [1, "x"]]
VALUES.append([{"description": "a", "zz": 1, "amount": 3}])
KEYS = [
    "id", "invoice_series", "invoice_number", "issue_date", "direction", "status", "total_amount",
    "line_items", "currency", "other", "name", "tax_id", "vat_rate", "code",
]  # fmt: skip


def _item(rnd: random.Random) -> object:
    if rnd.random() < 0.05:
        return rnd.choice(VALUES)
    item = {}
    for key in rnd.sample(KEYS, rnd.randint(0, len(KEYS))):
        usable_id = key == "id" and rnd.random() >= 0.3
        item[key] = rnd.choice(["abc", 5]) if usable_id else rnd.choice(VALUES)
    return item


def _outcome(build) -> tuple:
    try:
        rows, page = build()
    except ApiError as exc:
        return ("error", exc.code, repr(exc.facts))
    return ("ok", json.dumps(rows, default=repr), repr(attrs.evolve(page, items=[])))


@pytest.mark.parametrize("seed", range(4))
def test_picking_from_the_answer_equals_picking_from_records(seed: int) -> None:
    rnd = random.Random(seed)  # noqa: S311 -- seeded test data, not security
    usable = 0
    for _ in range(500):
        cls = rnd.choice([Invoice, Vendor, Product])
        data = {"items": [_item(rnd) for _ in range(rnd.randint(0, 3))], "total": rnd.choice([None, 3, "x"])}
        names = tuple(rnd.sample(KEYS, rnd.randint(0, 6)))

        def from_records(cls=cls, data=data, names=names):
            page = structure_page(data, cls, InvoicePage)
            return [record.pick(names) for record in page.items], page

        def from_answer(cls=cls, data=data, names=names):
            page = pick_page(data, cls, names, InvoicePage)
            return page.items, page

        expected = _outcome(from_records)
        assert _outcome(from_answer) == expected, (cls.__name__, data, names)
        usable += expected[0] == "ok"
    assert 0 < usable < 500  # both usable pages and malformed ones were drawn
