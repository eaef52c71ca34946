"""Wire models: frozen attrs records, structured by one tolerant cattrs converter.

The client is a tolerant reader. Fields it knows are typed; fields it does not
know are kept in ``extra`` and written back out by ``unstructure``, so nothing
the API adds is lost. Scalar values are taken as sent (the API may send amounts
as numbers or decimal strings); only nested records are structured. A record
that is not a JSON object, or lacks its ``id``, is a bad response.
"""

from __future__ import annotations

import typing
from typing import Any, TypeVar

import attrs
import cattrs

from finizi_b4b.errors import ErrorCode, ToolError

__all__ = [
    "ABSENT",
    "Entity",
    "Invoice",
    "LineItem",
    "Page",
    "Product",
    "SimilarProduct",
    "TokenPair",
    "User",
    "Vendor",
    "converter",
    "structure",
    "unstructure",
]

T = TypeVar("T")
Extra = dict[str, Any]


class _Absent:
    """Marks a field the API did not send, so that writing it back out leaves it out."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


@attrs.frozen
class TokenPair:
    access_token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(default=None, repr=False)
    token_type: Any = ABSENT
    expires_in: Any = ABSENT
    user_id: Any = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class User:
    id: Any
    email: Any = ABSENT
    phone: Any = ABSENT
    full_name: Any = ABSENT
    is_super_admin: Any = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Entity:
    id: Any
    name: Any = ABSENT
    tax_id: Any = ABSENT
    address: Any = ABSENT
    role: Any = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class LineItem:
    description: Any = ABSENT
    unit: Any = ABSENT
    quantity: Any = ABSENT
    unit_price: Any = ABSENT
    vat_rate: Any = ABSENT
    amount: Any = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Invoice:
    id: Any
    invoice_series: Any = ABSENT
    invoice_number: Any = ABSENT
    issue_date: Any = ABSENT
    direction: Any = ABSENT
    status: Any = ABSENT
    seller_name: Any = ABSENT
    seller_tax_id: Any = ABSENT
    buyer_name: Any = ABSENT
    buyer_tax_id: Any = ABSENT
    currency: Any = ABSENT
    total_amount_before_tax: Any = ABSENT
    total_tax_amount: Any = ABSENT
    total_amount: Any = ABSENT
    line_items: list[LineItem] | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Vendor:
    id: Any
    name: Any = ABSENT
    tax_id: Any = ABSENT
    address: Any = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Product:
    id: Any
    name: Any = ABSENT
    sku: Any = ABSENT
    unit: Any = ABSENT
    unit_price: Any = ABSENT
    vat_rate: Any = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class SimilarProduct:
    similarity: Any
    data: Product
    entity_id: Any = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Page:
    """A paged answer; ``items`` stay raw until the caller structures them."""

    items: list[Any]
    total: Any = ABSENT
    page: Any = ABSENT
    per_page: Any = ABSENT
    pages: Any = ABSENT
    has_next: Any = ABSENT
    has_prev: Any = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


converter = cattrs.Converter()


def _bad(cls: type, why: str) -> ToolError:
    return ToolError(ErrorCode.BAD_RESPONSE, f"The B4B API sent a malformed {cls.__name__.lower()}: {why}.")


def _nested(tp: Any) -> bool:
    """Whether a field's type holds records that need structuring."""
    args = typing.get_args(tp)
    return attrs.has(tp) or any(_nested(a) for a in args if a is not type(None))


def _structure_factory(cls: type) -> Any:
    hints = typing.get_type_hints(cls)
    fields = [f for f in attrs.fields(cls) if f.name != "extra"]
    names = {f.name for f in fields}
    required = [f.name for f in fields if f.default is attrs.NOTHING]
    nested = {f.name: hints[f.name] for f in fields if _nested(hints[f.name])}

    def structure_record(data: Any, _: type) -> Any:
        if not isinstance(data, dict):
            raise _bad(cls, f"expected an object, got {type(data).__name__}")
        for name in required:
            if data.get(name) is None:
                raise _bad(cls, f"'{name}' is missing")
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key not in names:
                extra[key] = value
            elif key in nested and value is not None:
                try:
                    known[key] = converter.structure(value, nested[key])
                except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
                    raise _bad(cls, f"'{key}' has the wrong shape ({type(exc).__name__})") from None
            else:
                known[key] = value
        return cls(**known, extra=extra)

    return structure_record


def _unstructure_factory(cls: type) -> Any:
    fields = [f.name for f in attrs.fields(cls) if f.name != "extra"]

    def unstructure_record(obj: Any) -> dict[str, Any]:
        out = {}
        for name in fields:
            value = getattr(obj, name)
            if value is not ABSENT:
                out[name] = converter.unstructure(value)
        out.update(obj.extra)
        return out

    return unstructure_record


def _is_record(cls: Any) -> bool:
    return attrs.has(cls) and any(f.name == "extra" for f in attrs.fields(cls))


converter.register_structure_hook_factory(_is_record, _structure_factory)
converter.register_unstructure_hook_factory(_is_record, _unstructure_factory)


def structure(data: Any, cls: type[T]) -> T:
    """Structure one answer; any shape problem becomes a ``bad_response`` error."""
    try:
        return converter.structure(data, cls)
    except ToolError:
        raise
    except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            inner = next(iter(exc.exceptions), None)
            if isinstance(inner, ToolError):
                raise inner from None
        raise _bad(cls, type(exc).__name__) from None


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)
