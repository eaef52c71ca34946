"""The field types of the wire models, and the check each one makes of a JSON value.

Values are checked, never converted: a value that passes its check is used as
sent (an integer amount stays an integer, a decimal string stays that string),
and one that fails is left to the record's ``extra``. JSON numbers are finite
here: ``sansio`` refuses NaN and infinities before any model sees them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, NewType

__all__ = [
    "ABSENT",
    "CHECKS",
    "LIST",
    "Amount",
    "Check",
    "DecimalText",
    "Direction",
    "Fraction",
    "Id",
    "IsoDate",
    "as_decimal",
    "has_type",
]

Id = str | int
"""A UUID string (either letter case) or, for older records, a positive integer."""
DecimalText = NewType("DecimalText", str)
"""An amount sent as a decimal string (``"1250000.50"``)."""
Amount = int | float | DecimalText
"""Money or a quantity, as sent: an integer, a float, or a decimal string."""
IsoDate = NewType("IsoDate", str)
"""An ISO date (``2025-03-14``), possibly with a time after it; read it with :meth:`Invoice.issued_on`."""
Fraction = NewType("Fraction", float)
"""A rate as a fraction between 0 and 1 (0.1 for 10 %)."""
Direction = Literal[0, 1]
"""An invoice's direction: 0 purchase, 1 sales."""


class _Absent:
    """Marks a field the API did not send, so that writing it back out leaves it out."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()

# -- the checks: each field type maps the exact JSON types it accepts to a further check (None: none) --

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
Check = dict[type, Callable[[Any], bool] | None]


def _is_decimal_text(value: str) -> bool:
    return _DECIMAL.fullmatch(value) is not None


def _is_iso_date(value: str) -> bool:
    if _ISO_DATE.match(value) is None:
        return False
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _is_positive(value: int) -> bool:
    return value > 0


def _is_fraction(value: float) -> bool:
    return 0 <= value <= 1


def _is_direction(value: int) -> bool:
    return value == 0 or value == 1


CHECKS: dict[Any, Check] = {
    str: {str: None},
    int: {int: None},
    float: {int: None, float: None},
    bool: {bool: None},
    Id: {str: bool, int: _is_positive},
    Amount: {int: None, float: None, str: _is_decimal_text},
    IsoDate: {str: _is_iso_date},
    Fraction: {int: _is_fraction, float: _is_fraction},
    Direction: {int: _is_direction},
    dict[str, Any]: {dict: None},
}
LIST: Check = {list: None}
_WRONG: Any = object()


def has_type(check: Check, value: Any) -> bool:
    refine = check.get(type(value), _WRONG)
    return refine is None or (refine is not _WRONG and refine(value))


def as_decimal(value: Any) -> Decimal | None:
    """An :data:`Amount` as a :class:`~decimal.Decimal` (exact for decimal strings); ``None`` otherwise."""
    if not has_type(CHECKS[Amount], value):
        return None
    return Decimal(value) if type(value) is str else Decimal(str(value))
