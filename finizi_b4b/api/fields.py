"""Reading one JSON value as a typed field: the check each field makes, and nothing converted in place.

Each reader takes a value as the API sent it and gives the typed reading, or
``None`` when the value is absent or of another type (a tolerant reader keeps
the raw answer, so nothing is lost by a reading that fails). Amounts are the
exception that raises: an amount out of any sane range is a bad answer, not a
missing one (:mod:`finizi_b4b.api.money`).

The facts that belong to the wire live here once: the API's path prefix, and
the direction codes of an invoice (0 purchase, 1 sales).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Literal

from finizi_b4b.api.money import read_amount

__all__ = [
    "API",
    "DIRECTIONS",
    "DIRECTION_CODES",
    "TAX_ID",
    "Direction",
    "amount",
    "count",
    "day",
    "direction",
    "flag",
    "fraction",
    "is_id",
    "number",
    "percent",
    "text",
    "trimmed",
]

API = "/api/v1"
"""Where every path of the API starts."""
Direction = Literal["purchase", "sales"]
DIRECTIONS: dict[int, Direction] = {0: "purchase", 1: "sales"}
"""An invoice's ``direction`` as the API codes it."""
DIRECTION_CODES: dict[Direction, int] = {word: code for code, word in DIRECTIONS.items()}


TAX_ID = re.compile(r"[0-9]{10,14}(-[0-9]{3})?")
"""A tax id (MST) as a whole string matches it: 10 to 14 digits, then a branch's ``-NNN`` or nothing."""


def is_id(value: Any) -> bool:
    """A non-empty string (a UUID, in either letter case) or, for older records, a positive integer."""
    if type(value) is str:
        return bool(value)
    return type(value) is int and value > 0


def text(value: Any) -> str | None:
    """A string as sent, or None."""
    return value if type(value) is str else None


def trimmed(value: Any) -> str | None:
    """A string without the spaces around it, or None (not a string, or nothing but spaces)."""
    return value.strip() or None if type(value) is str else None


def count(value: Any) -> int | None:
    """A count: an integer of zero or more (never a boolean), or None."""
    return value if type(value) is int and value >= 0 else None


def flag(value: Any) -> bool | None:
    return value if type(value) is bool else None


def number(value: Any) -> float | None:
    """A JSON number (an integer or a float, never a boolean), or None."""
    return value if type(value) in (int, float) else None


def fraction(value: Any) -> float | None:
    """A rate as a fraction between 0 and 1 (0.1 for 10 %), or None."""
    found = number(value)
    return found if found is not None and 0 <= found <= 1 else None


def percent(rate: float) -> int | float:
    """A fraction (0.08) as the percent the server shows every VAT rate in (8), exactly: 0.07 gives 7,
    not 7.000000000000001."""
    shown = Decimal(str(rate)) * 100
    return int(shown) if shown == shown.to_integral_value() else float(shown.normalize())


def day(value: Any) -> dt.date | None:
    """The date in the first ten characters of an ISO date or date-time (``2025-03-14T…``), or None."""
    if type(value) is not str or len(value) < 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def direction(value: Any) -> Direction | None:
    """An invoice's direction as a word: 0 purchase, 1 sales; the words themselves are read too."""
    if type(value) is int:
        return DIRECTIONS.get(value)
    return value if value in DIRECTION_CODES else None


def amount(value: Any) -> Decimal | None:
    """An amount (an integer, a float or a decimal string) as an exact ``Decimal``, or None when it
    is not one; :class:`~finizi_b4b.api.money.AmountOutOfRange` when it is one out of range."""
    return read_amount(value)
