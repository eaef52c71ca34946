"""Records: thin, typed views over the raw answer, and pages of them.

A :class:`Record` holds the JSON object it came from, untouched, and gives
typed properties for what the tools read (each a reader of
:mod:`finizi_b4b.api.fields`). Nothing is converted or copied when a record is
made, so the answer is passed on exactly as the API sent it, unknown fields
included (:meth:`Record.as_json`). The client is a tolerant reader: a field of
the wrong type reads as ``None`` and stays in the raw answer; only what a tool
truly needs makes a record a bad answer: an object (checked when the record is
made) and, for records that have one, a valid ``id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from finizi_b4b.api import fields
from finizi_b4b.api.errors import BadResponse, Reason
from finizi_b4b.api.money import AmountOutOfRange

__all__ = ["Identified", "Page", "Record", "bad_record", "records_of"]

R = TypeVar("R", bound="Record")


def bad_record(record: str, problem: str, **facts: Any) -> BadResponse:
    """A malformed record; ``problem`` is ``not_object``, ``not_list``, ``missing`` or ``wrong_shape``."""
    return BadResponse(Reason.MALFORMED, facts={"record": record, "problem": problem, **facts})


@attrs.frozen
class Record:
    """A JSON object of the API, as sent."""

    what: ClassVar[str] = "answer"
    raw: Mapping[str, Any] = attrs.field(repr=False)

    @classmethod
    def of(cls: type[R], data: Any) -> R:
        """The record of ``data``; a bad answer when ``data`` is not what the record needs."""
        if type(data) is not dict:
            raise bad_record(cls.what, "not_object", got=type(data).__name__)
        return cls(data)

    def get(self, name: str, default: Any = None) -> Any:
        """The field ``name`` as sent, or ``default`` when it was not sent."""
        return self.raw.get(name, default)

    def pick(self, names: Iterable[str]) -> dict[str, Any]:
        """The named fields the record has, as sent, in the order given."""
        raw = self.raw
        return {name: raw[name] for name in names if name in raw}

    def as_json(self) -> dict[str, Any]:
        """The answer as the API sent it (a copy), unknown fields included."""
        return dict(self.raw)

    def amount(self, name: str) -> Any:
        """The amount in field ``name`` as an exact ``Decimal`` (None when absent or not an amount);
        an amount out of range is a bad answer naming the record and the field."""
        try:
            return fields.amount(self.raw.get(name))
        except AmountOutOfRange:
            ident = self.raw.get("id")
            facts = {"record": self.what, "field": name, "id": str(ident)[:40] if ident is not None else None}
            raise BadResponse(Reason.AMOUNT_OUT_OF_RANGE, facts=facts) from None


@attrs.frozen
class Identified(Record):
    """A record with an ``id``: a UUID string or a positive integer, checked when it is made."""

    @classmethod
    def of(cls: type[R], data: Any) -> R:
        if type(data) is not dict:
            raise bad_record(cls.what, "not_object", got=type(data).__name__)
        ident = data.get("id")
        if not fields.is_id(ident):
            raise bad_record(cls.what, "missing" if ident is None else "wrong_shape", field="id")
        return cls(data)

    @property
    def id(self) -> str:
        """The id as text (an integer id as its digits)."""
        return str(self.raw["id"])


def records_of(data: Any, cls: type[R], what: str | None = None) -> list[R]:
    """A JSON list of ``cls`` records; anything but a list is a bad answer."""
    if type(data) is not list:
        raise bad_record(what or cls.what + " list", "not_list", got=type(data).__name__)
    make = cls.of
    try:
        return [make(item) for item in data]
    except BadResponse as exc:
        exc.facts["record"] = what or cls.what + " list item"
        raise


@attrs.frozen
class Page(Record, Generic[R]):
    """A paged answer: ``items`` (records, made when the page is read) and the counts the API sent."""

    what: ClassVar[str] = "page"
    items: list[R] = attrs.Factory(list)

    @classmethod
    def read(cls, data: Any, item: type[R]) -> Page[R]:
        if type(data) is not dict:
            raise bad_record(cls.what, "not_object", got=type(data).__name__)
        if "items" not in data:
            raise bad_record(cls.what, "missing", field="items")
        return cls(data, records_of(data["items"], item, item.what + " list item"))

    @property
    def total(self) -> int | None:
        return fields.count(self.raw.get("total"))

    @property
    def page(self) -> int | None:
        return fields.count(self.raw.get("page"))

    @property
    def pages(self) -> int | None:
        return fields.count(self.raw.get("pages"))

    @property
    def has_next(self) -> bool | None:
        return fields.flag(self.raw.get("has_next"))
