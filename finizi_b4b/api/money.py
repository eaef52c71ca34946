"""Amounts: the one reading of money and quantities as exact decimals, their bounds and their JSON form.

An amount comes as a JSON integer, a float, or a decimal string (``"1250000.50"``,
also ``"1e3"``); it is read as an exact :class:`~decimal.Decimal` (a float through
its shortest decimal text, never added as a float). An amount outside the range
an invoice can hold (:data:`MAX_AMOUNT`, at most :data:`MAX_DECIMALS` decimals)
is refused with :class:`AmountOutOfRange` rather than expanded: ``"1e4300"``
would otherwise become a 4,301-digit number in a result, and ``"1e-999999"`` a
megabyte of zeros. Out going, a whole amount is a JSON integer and any other an
exact decimal string, never a float.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "MAX_AMOUNT",
    "MAX_DECIMALS",
    "AmountOutOfRange",
    "amount_json",
    "amount_json_or_none",
    "amount_text",
    "in_range",
    "read_amount",
]

MAX_AMOUNT = Decimal(10) ** 18
MAX_DECIMALS = 6
_TEXT_LIMIT = 64  # characters of a decimal string looked at; a longer one cannot be a sane amount


class AmountOutOfRange(ValueError):
    """An amount too large, or with too many decimals, for an invoice."""


def in_range(value: Decimal) -> bool:
    """Whether ``value`` is finite, below :data:`MAX_AMOUNT` in size and has at most six decimals."""
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        return False
    exponent = value.normalize().as_tuple().exponent
    return value.is_zero() or (isinstance(exponent, int) and exponent >= -MAX_DECIMALS)


def _checked(value: Decimal) -> Decimal:
    if not in_range(value):
        raise AmountOutOfRange("out of range")
    return value


def read_amount(value: Any) -> Decimal | None:
    """An amount as sent, as an exact ``Decimal``; None when it is not an amount at all.

    Raises :class:`AmountOutOfRange` for an amount that is one but cannot be an invoice's.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not -MAX_AMOUNT < value < MAX_AMOUNT:
            raise AmountOutOfRange("out of range")
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return _checked(Decimal(repr(value)))
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > _TEXT_LIMIT:
            if len(text) > _TEXT_LIMIT and _looks_numeric(text):
                raise AmountOutOfRange("too long")
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None
        if amount.is_nan():
            return None
        return _checked(amount)
    return None


def _looks_numeric(text: str) -> bool:
    head = text[:_TEXT_LIMIT].lstrip("+-")
    return bool(head) and all(ch.isdigit() or ch in ".eE+-_" for ch in head)


def amount_json(value: Decimal) -> int | str:
    """A whole amount as a JSON integer; any other as exact decimal text (never a float)."""
    if value == value.to_integral_value():
        return int(value)
    return format(value.normalize(), "f")


def amount_json_or_none(value: Decimal | None) -> int | str | None:
    """:func:`amount_json`, with None (an amount not sent) kept as None."""
    return None if value is None else amount_json(value)


def amount_text(value: Decimal) -> str:
    """An amount for a sentence, with thousands separators: ``1,234,500``."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return format(value.normalize(), ",f")
