"""Wire models: frozen attrs records with real field types, read by one tolerant cattrs converter.

The client is a tolerant reader (the API contract's rule):

- a field the model knows is typed (:data:`Id`, :data:`Amount`, :data:`IsoDate`,
  :data:`Fraction`, ``str``, ...) and holds either a value of that type,
  ``None`` (sent as ``null``) or :data:`ABSENT` (not sent);
- a field it does not know, and a known field sent with a value of the wrong
  type, is kept in ``extra`` exactly as sent, so that :func:`unstructure`
  writes every answer back out whole (amounts stay integers or the decimal
  strings they came as);
- only what a tool truly needs makes a record a ``bad_response``: a record that
  is not a JSON object, or whose required field (its ``id``) is missing or not
  an id.

Values are checked, never converted: the answer's ints, floats and strings are
the ones the results carry. Typed readings live on the records (``Invoice.issued_on``
is a :class:`datetime.date`, :func:`as_decimal` reads an amount). ``bench/models.py``
measured this against cattrs' generated hooks and against checked dicts; these hand
written hooks are the fastest of the three and the only one that is tolerant per field
without a slow second pass.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import types
import typing
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Generic, Literal, NewType, TypeVar

import attrs
import cattrs

from finizi_b4b.api.errors import ApiError
from finizi_b4b.errors import ErrorCode

__all__ = [
    "ABSENT",
    "Amount",
    "DecimalText",
    "Direction",
    "Entity",
    "Fraction",
    "Id",
    "Invoice",
    "InvoicePage",
    "IsoDate",
    "LineItem",
    "Page",
    "Product",
    "Record",
    "SimilarProduct",
    "TokenPair",
    "User",
    "Vendor",
    "as_decimal",
    "converter",
    "structure",
    "structure_list",
    "structure_page",
    "unstructure",
]

T = TypeVar("T")
R = TypeVar("R", bound="Record")
Extra = dict[str, Any]

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

# -- value checks ---------------------------------------------------------------------------------
# Each field type maps the exact JSON types it accepts to a further check (``None``: none needed).
# JSON numbers are finite here: ``sansio`` refuses NaN and infinities before any model sees them.

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


_CHECKS: dict[Any, Check] = {
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
_LIST: Check = {list: None}
_WRONG: Any = object()


def _has_type(check: Check, value: Any) -> bool:
    refine = check.get(type(value), _WRONG)
    return refine is None or (refine is not _WRONG and refine(value))


def as_decimal(value: Any) -> Decimal | None:
    """An :data:`Amount` as a :class:`~decimal.Decimal` (exact for decimal strings); ``None`` otherwise."""
    if not _has_type(_CHECKS[Amount], value):
        return None
    return Decimal(value) if type(value) is str else Decimal(str(value))


# -- the records ----------------------------------------------------------------------------------


class Record:
    """What every record shares: ``extra`` (unknown or wrong-typed fields, as sent) and reading by name."""

    __slots__ = ()
    __record_fields__: typing.ClassVar[frozenset[str]] = frozenset()
    extra: Extra

    def get(self, name: str, default: Any = None) -> Any:
        """The field ``name`` as sent (known or not), or ``default`` when it was not sent."""
        if name in self.__record_fields__:
            value = getattr(self, name)
            if value is not ABSENT:
                return value
        return self.extra.get(name, default)

    def pick(self, names: Iterable[str]) -> dict[str, Any]:
        """The named fields the record has, as plain JSON values, in the order given."""
        out: dict[str, Any] = {}
        known, extra = self.__record_fields__, self.extra
        for name in names:
            value = getattr(self, name) if name in known else ABSENT
            if value is not ABSENT:
                out[name] = _plain(value)
            elif name in extra:
                out[name] = extra[name]
        return out


@attrs.frozen
class TokenPair(Record):
    access_token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(default=None, repr=False)
    token_type: str | None = ABSENT
    expires_in: float | None = ABSENT
    user_id: Id | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class User(Record):
    id: Id
    email: str | None = ABSENT
    phone: str | None = ABSENT
    full_name: str | None = ABSENT
    is_super_admin: bool | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Entity(Record):
    """A company the user works for; ``tax_id`` is its MST."""

    id: Id
    name: str | None = ABSENT
    tax_id: str | None = ABSENT
    address: str | None = ABSENT
    role: str | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class LineItem(Record):
    """One invoice line; ``vat_rate`` is in percent here (0, 5, 8, 10), as the invoices carry it."""

    description: str | None = ABSENT
    unit: str | None = ABSENT
    quantity: Amount | None = ABSENT
    unit_price: Amount | None = ABSENT
    vat_rate: Amount | None = ABSENT
    amount: Amount | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Invoice(Record):
    id: Id
    invoice_series: str | None = ABSENT
    invoice_number: str | int | None = ABSENT
    issue_date: IsoDate | None = ABSENT
    direction: Direction | None = ABSENT
    status: str | None = ABSENT
    seller_name: str | None = ABSENT
    seller_tax_id: str | None = ABSENT
    buyer_name: str | None = ABSENT
    buyer_tax_id: str | None = ABSENT
    currency: str | None = ABSENT
    total_amount_before_tax: Amount | None = ABSENT
    total_tax_amount: Amount | None = ABSENT
    total_amount: Amount | None = ABSENT
    line_items: list[LineItem] | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)

    @property
    def issued_on(self) -> dt.date | None:
        """The issue date as a date (``None`` when not sent or not an ISO date)."""
        return dt.date.fromisoformat(self.issue_date[:10]) if self.issue_date else None


@attrs.frozen
class Vendor(Record):
    id: Id
    name: str | None = ABSENT
    tax_id: str | None = ABSENT
    address: str | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class Product(Record):
    """The backend's ``ProductBase``: ``code`` is the SKU, ``vat_rate`` (when sent) a fraction (0.1)."""

    id: Id
    code: str | None = ABSENT
    name: str | None = ABSENT
    unit_of_measurement: str | None = ABSENT
    default_sell_price: Amount | None = ABSENT
    inventory_type: str | None = ABSENT
    default_vat_rate_id: Id | None = ABSENT
    vat_rate: Fraction | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class SimilarProduct(Record):
    """One semantic-search match. ``entity_id`` here is the searched object's id, not the company's."""

    similarity: float
    data: dict[str, Any]
    entity_id: Id | None = ABSENT
    entity_type: str | None = ABSENT
    metadata: dict[str, Any] | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)

    def product(self) -> Product:
        """The matched product; its id is ``data.id``, else ``entity_id`` when the match is a product."""
        data = self.data
        if data.get("id") is None and self.entity_type == "product" and self.entity_id:
            data = {"id": self.entity_id, **{k: v for k, v in data.items() if k != "id"}}
        return structure(data, Product)


@attrs.frozen
class Page(Record, Generic[T]):
    """A paged answer; ``items`` are records once :func:`structure_page` has read them."""

    items: list[T]
    total: int | None = ABSENT
    page: int | None = ABSENT
    per_page: int | None = ABSENT
    pages: int | None = ABSENT
    has_next: bool | None = ABSENT
    has_prev: bool | None = ABSENT
    extra: Extra = attrs.field(factory=dict, repr=False)


@attrs.frozen
class InvoicePage(Page[Invoice]):
    """A page of invoices, with the API's optional sums over **all** matching invoices."""

    total_amount: Amount | None = ABSENT
    aggregations: dict[str, Any] | None = ABSENT


# -- the converter --------------------------------------------------------------------------------

converter = cattrs.Converter()


def _bad(record: str, problem: str, **facts: Any) -> ApiError:
    """A malformed record; ``problem`` is ``not_object``, ``missing`` or ``wrong_shape``."""
    return ApiError(ErrorCode.BAD_RESPONSE, "malformed", facts={"record": record, "problem": problem, **facts})


def _record_name(cls: type) -> str:
    return getattr(cls, "__name__", str(cls)).lower()


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return converter.unstructure(value)
    if type(value) is list:
        return [converter.unstructure(v) if isinstance(v, Record) else v for v in value]
    return value


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in attrs.fields(cls) if f.name != "extra"}


def _without_none(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp):
        args = tuple(a for a in typing.get_args(tp) if a is not type(None))
        return args[0] if len(args) == 1 else typing.Union[args]  # noqa: UP007 (a runtime union of args)
    return tp


def _record_list(tp: Any) -> type | None:
    """The record class of a ``list[SomeRecord]`` field, else ``None``."""
    if typing.get_origin(tp) is list:
        (arg,) = typing.get_args(tp)
        if isinstance(arg, type) and issubclass(arg, Record):
            return arg
    return None


def _list_reader(item_cls: type) -> Callable[[Any], Any]:
    """Reads a list of records; anything else (or a list holding a non-object) is ``ABSENT``."""
    hook = converter.get_structure_hook(item_cls)

    def read(value: Any) -> Any:
        if type(value) is not list:
            return ABSENT
        try:
            return [hook(item, item_cls) for item in value]
        except ApiError:
            return ABSENT

    return read


def _structure_factory(cls: type) -> Callable[[Any, type], Any]:
    checks: dict[str, Check] = {}
    readers: list[tuple[str, Callable[[Any], Any]]] = []
    for name, tp in _field_types(cls).items():
        tp = _without_none(tp)
        if (item_cls := _record_list(tp)) is not None:
            checks[name] = _LIST
            readers.append((name, _list_reader(item_cls)))
        elif tp in _CHECKS:
            checks[name] = _CHECKS[tp]
        elif typing.get_origin(tp) is list or isinstance(tp, TypeVar):
            checks[name] = _LIST
        else:
            raise TypeError(f"{cls.__name__}.{name}: no check for {tp!r}")
    required = tuple(f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING and f.name != "extra")
    record = _record_name(cls)

    def structure_record(data: Any, _: type) -> Any:
        if type(data) is not dict:
            raise _bad(record, "not_object", got=type(data).__name__)
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            check = checks.get(key)
            if check is not None and (
                value is None
                or (refine := check.get(type(value), _WRONG)) is None
                or (refine is not _WRONG and refine(value))
            ):
                known[key] = value
            else:
                extra[key] = value  # unknown, or known with a value of the wrong type: kept as sent
        for name, read in readers:
            if known.get(name) is not None:
                value = read(known[name])
                if value is ABSENT:
                    extra[name] = known.pop(name)
                else:
                    known[name] = value
        for name in required:
            if known.get(name) is None:
                raise _bad(record, "wrong_shape" if name in extra else "missing", field=name)
        return cls(**known, extra=extra)

    return structure_record


def _unstructure_factory(cls: type) -> Callable[[Any], dict[str, Any]]:
    names = tuple(_field_types(cls))
    nested = frozenset(n for n, tp in _field_types(cls).items() if _record_list(_without_none(tp)))

    def unstructure_record(obj: Any) -> dict[str, Any]:
        out = {}
        for name in names:
            value = getattr(obj, name)
            if value is not ABSENT:
                out[name] = _plain(value) if name in nested else value
        out.update(obj.extra)
        return out

    return unstructure_record


def _is_record(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Record) and attrs.has(cls)


converter.register_structure_hook_factory(_is_record, _structure_factory)
converter.register_unstructure_hook_factory(_is_record, _unstructure_factory)
for _cls in (TokenPair, User, Entity, LineItem, Invoice, Vendor, Product, SimilarProduct, Page, InvoicePage):
    _cls.__record_fields__ = frozenset(_field_types(_cls))
    converter.get_structure_hook(_cls)  # built (and checked) at import, not on the first answer


def structure(data: Any, cls: type[R]) -> R:
    """One record from an answer; a record the tools cannot use is a ``bad_response`` :class:`ApiError`."""
    return converter.get_structure_hook(cls)(data, cls)


def structure_list(data: Any, cls: type[R]) -> list[R]:
    """A JSON list of records; anything but a list is a ``bad_response``."""
    if type(data) is not list:
        raise _bad(_record_name(cls) + " list", "not_object", got=type(data).__name__)
    hook = converter.get_structure_hook(cls)
    return [hook(item, cls) for item in data]


def structure_page(data: Any, cls: type[R], page_cls: type[Page[Any]] = Page) -> Page[R]:
    """A paged answer whose ``items`` are ``cls`` records; an item the tools cannot use is bad."""
    page = structure(data, page_cls)
    hook = converter.get_structure_hook(cls)
    try:
        items = [hook(item, cls) for item in page.items]
    except ApiError as exc:
        exc.facts["record"] = _record_name(cls) + " list item"
        raise
    return attrs.evolve(page, items=items)


def unstructure(obj: Any) -> Any:
    """A record (or a list of them) as the JSON object it came as: known fields, then ``extra``."""
    return converter.unstructure(obj)
