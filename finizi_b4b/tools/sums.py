"""Exact sums of invoice amounts: a count and the three amounts, per currency.

Amounts are read and written by :mod:`finizi_b4b.api.money`: added as
``Decimal``, bounded, whole amounts out as JSON integers, others as exact
decimal text.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from finizi_b4b.api.money import AmountOutOfRange, amount_json, read_amount

__all__ = ["AMOUNTS", "Amounts", "Sums", "count_of", "merge"]

AMOUNTS = ("total_amount_before_tax", "total_tax_amount", "total_amount")


@attrs.define
class Sums:
    """Count and the three sums of a set of invoices in one currency."""

    count: int = 0
    net: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    total: Decimal = Decimal(0)

    @classmethod
    def of_bucket(cls, bucket: Any) -> Sums | None:
        """The sums of one aggregation bucket of the API, or None if it is not one."""
        if not isinstance(bucket, Mapping):
            return None
        count = bucket.get("count")
        try:
            amounts = [read_amount(bucket.get(key)) for key in AMOUNTS]
        except AmountOutOfRange:
            return None
        if isinstance(count, bool) or not isinstance(count, int) or count < 0 or None in amounts:
            return None
        net, tax, total = amounts
        return cls(count, net, tax, total)  # type: ignore[arg-type]

    def add(self, other: Sums) -> None:
        self.count += other.count
        self.net += other.net
        self.tax += other.tax
        self.total += other.total

    def minus(self, other: Sums) -> Sums | None:
        """These sums without ``other`` (a part of them), or None when ``other`` counts more."""
        if other.count > self.count:
            return None
        return Sums(
            self.count - other.count, self.net - other.net, self.tax - other.tax, self.total - other.total
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "net": amount_json(self.net),
            "tax": amount_json(self.tax),
            "total": amount_json(self.total),
        }


Amounts = dict[str, Sums]  # currency -> sums


def merge(into: Amounts, other: Amounts) -> None:
    for currency, sums in other.items():
        into.setdefault(currency, Sums()).add(sums)


def count_of(amounts: Amounts) -> int:
    return sum(s.count for s in amounts.values())
