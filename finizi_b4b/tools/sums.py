"""Exact sums of invoice amounts: a count and the three amounts, per currency.

Amounts are added as ``Decimal``; an amount sent as a float is read through its
shortest decimal text (``repr``), never added as a float. Whole amounts go out
as JSON integers, others as exact decimal text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

__all__ = ["AMOUNTS", "Amounts", "Sums", "count_of", "json_amount", "merge", "money", "shown_amount"]

AMOUNTS = ("total_amount_before_tax", "total_tax_amount", "total_amount")


def money(value: Any) -> Decimal | None:
    """An amount as sent (an integer, a float, a decimal string) as an exact ``Decimal``; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            return None
        return amount if amount.is_finite() else None
    return None


def json_amount(value: Decimal) -> int | str:
    """Whole amounts as JSON integers; others as exact decimal text (never a float)."""
    return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")


def shown_amount(value: Decimal) -> str:
    """An amount for a sentence, with thousands separators: ``1,234,500``."""
    return f"{int(value):,}" if value == value.to_integral_value() else format(value.normalize(), ",f")


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
        amounts = [money(bucket.get(key)) for key in AMOUNTS]
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
            "net": json_amount(self.net),
            "tax": json_amount(self.tax),
            "total": json_amount(self.total),
        }


Amounts = dict[str, Sums]  # currency -> sums


def merge(into: Amounts, other: Amounts) -> None:
    for currency, sums in other.items():
        into.setdefault(currency, Sums()).add(sums)


def count_of(amounts: Amounts) -> int:
    return sum(s.count for s in amounts.values())
