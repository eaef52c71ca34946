"""summarize_invoices: counts and sums of an entity's invoices, grouped, in one call.

The server does the adding up so that the model does not have to: it reads
every matching invoice (pages of 200, progress after each) and sums them per
group, with exact arithmetic (``Decimal``; amounts sent as floats are read
through their shortest decimal text, never added as floats).

When the API's list answer already holds the answer, nothing is paged: the
sandbox, like the backend it imitates, sends ``aggregations`` over all
matching invoices (``count``, the three sums, and the same ``by_currency``
and ``by_status``), so the totals alone and a grouping by status (in one
currency) cost one request of one item.

More than :data:`MAX_INVOICES` matching invoices is refused as
``invalid_arguments`` before anything is added up, with words that say how to
narrow the question: a partial sum would read as a wrong total.

``vendor`` is the counterparty: the seller of a purchase, the buyer of a sale,
keyed by tax id and shown with the name it has on the newest invoice.

The answer is compact (12 groups of two keys stay well under 4 KB): each
group has ``count``, ``net`` (before tax), ``tax`` and ``total``; groups come
largest total first, ``top`` of them, the rest summed in one ``others`` row;
``totals`` covers everything. In one currency the amounts are plain; with
several, each group splits them ``by_currency`` and groups are ordered by
their VND total first.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from finizi_b4b.api.models import unstructure
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.base import Call, Handler, direction_label

__all__ = ["DEFAULT_TOP", "GROUP_KEYS", "MAX_INVOICES", "PAGE_SIZE", "SummaryTools"]

MAX_INVOICES = 20_000
PAGE_SIZE = 200
DEFAULT_TOP = 12
GROUP_KEYS = ("month", "quarter", "year", "vendor", "status", "direction")
HOME_CURRENCY = "VND"
_NAME_CHARS = 48  # a counterparty's name is cut to this many characters, so that 12 groups stay small
_DIRECTION_CODES = {"purchase": 0, "sales": 1}
_FILTERS = ("status", "vendor_id", "date_from", "date_to", "q")
_AMOUNTS = ("total_amount_before_tax", "total_tax_amount", "total_amount")
# Groupings the API's aggregations can answer without paging.
_AGGREGATED = ((), ("status",))


def _plain(page: Any) -> dict[str, Any]:
    """A page of the API as plain JSON: its fields (``aggregations`` among them) and its items."""
    data = unstructure(page)
    if not isinstance(data, dict):
        return {}
    items = data.get("items")
    data["items"] = [
        item if isinstance(item, Mapping) else unstructure(item)
        for item in (items if isinstance(items, list) else ())
    ]
    return data


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


def _json_amount(value: Decimal) -> int | str:
    """Whole amounts as JSON integers; others as exact decimal text (never a float)."""
    return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")


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
        amounts = [money(bucket.get(key)) for key in _AMOUNTS]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0 or None in amounts:
            return None
        net, tax, total = amounts
        return cls(count, net, tax, total)  # type: ignore[arg-type]

    def add(self, other: Sums) -> None:
        self.count += other.count
        self.net += other.net
        self.tax += other.tax
        self.total += other.total

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "net": _json_amount(self.net),
            "tax": _json_amount(self.tax),
            "total": _json_amount(self.total),
        }


Amounts = dict[str, Sums]  # currency -> sums
Key = tuple[str | None, ...]


def _merge(into: Amounts, other: Amounts) -> None:
    for currency, sums in other.items():
        into.setdefault(currency, Sums()).add(sums)


def _count(amounts: Amounts) -> int:
    return sum(s.count for s in amounts.values())


# -- reading one invoice --------------------------------------------------------------------------


def _issue_date(invoice: Mapping[str, Any]) -> dt.date | None:
    value = invoice.get("issue_date")
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _direction(invoice: Mapping[str, Any]) -> str | None:
    label = direction_label(invoice.get("direction"))
    return label if label in _DIRECTION_CODES else None


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return text or None


def _counterparty(invoice: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The other party's tax id and name: the seller of a purchase, the buyer of a sale."""
    side = {"purchase": "seller", "sales": "buyer"}.get(_direction(invoice) or "")
    if side is None:
        return None, None
    return _text(invoice.get(f"{side}_tax_id")), _text(invoice.get(f"{side}_name"))


def _key_part(name: str, invoice: Mapping[str, Any]) -> str | None:
    if name in ("month", "quarter", "year"):
        day = _issue_date(invoice)
        if day is None:
            return None
        if name == "month":
            return f"{day.year:04d}-{day.month:02d}"
        if name == "quarter":
            return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
        return f"{day.year:04d}"
    if name == "vendor":
        return _counterparty(invoice)[0]
    if name == "direction":
        return _direction(invoice)
    return _text(invoice.get(name))


@attrs.define
class Grouper:
    """Adds invoices up per group; each invoice is counted once (by id), whatever the paging does."""

    group_by: tuple[str, ...]
    groups: dict[Key, Amounts] = attrs.Factory(dict)
    names: dict[str, str] = attrs.Factory(dict)
    incomplete: int = 0
    received: int = 0
    _seen: set[str] = attrs.Factory(set)

    def add(self, invoice: Mapping[str, Any]) -> None:
        self.received += 1
        ident = invoice.get("id")
        if ident is not None:
            if str(ident) in self._seen:
                return
            self._seen.add(str(ident))
        key = tuple(_key_part(name, invoice) for name in self.group_by)
        if "vendor" in self.group_by:
            tax_id, name = _counterparty(invoice)
            if tax_id is not None and name is not None:
                self.names.setdefault(tax_id, name)  # the newest invoice's name (lists are newest first)
        amounts = [money(invoice.get(field)) for field in _AMOUNTS]
        if None in amounts:
            self.incomplete += 1
        net, tax, total = (a if a is not None else Decimal(0) for a in amounts)
        currency = _text(invoice.get("currency")) or HOME_CURRENCY
        self.groups.setdefault(key, {}).setdefault(currency, Sums()).add(Sums(1, net, tax, total))


# -- the answer ------------------------------------------------------------------------------------


def _currencies(amounts: Iterable[Amounts]) -> list[str]:
    found = {currency for group in amounts for currency in group}
    return sorted(found, key=lambda c: (c != HOME_CURRENCY, c)) or [HOME_CURRENCY]


def _short(name: str) -> str:
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1].rstrip() + "…"


@attrs.frozen
class Summary:
    """Groups (key -> amounts per currency) and the totals over all of them, ready to be shown."""

    group_by: tuple[str, ...]
    groups: dict[Key, Amounts]
    totals: Amounts
    names: Mapping[str, str] = attrs.Factory(dict)
    source: str = "invoices"
    incomplete: int = 0

    def _amounts(self, amounts: Amounts, currencies: list[str]) -> dict[str, Any]:
        if len(currencies) == 1:
            return (amounts.get(currencies[0]) or Sums()).as_json()
        return {
            "count": _count(amounts),
            "by_currency": {c: amounts[c].as_json() for c in currencies if c in amounts},
        }

    def result(self, top: int) -> dict[str, Any]:
        currencies = _currencies([self.totals])
        data: dict[str, Any] = {"group_by": list(self.group_by)}
        if len(currencies) == 1:
            data["currency"] = currencies[0]
        else:
            data["currencies"] = currencies
        data["totals"] = self._amounts(self.totals, currencies)
        if self.group_by:
            data["groups"] = self._rows(top, currencies)
            data["group_count"] = len(self.groups)
        data["source"] = self.source
        if self.incomplete:
            data["incomplete"] = self.incomplete
        return {"message": self._message(top, currencies), "data": data}

    def _order(self, currencies: list[str]) -> list[tuple[Key, Amounts]]:
        def rank(item: tuple[Key, Amounts]) -> tuple[Any, ...]:
            key, amounts = item
            totals = tuple(-(amounts[c].total if c in amounts else Decimal(0)) for c in currencies)
            return (*totals, tuple((part is None, part or "") for part in key))

        return sorted(self.groups.items(), key=rank)

    def _rows(self, top: int, currencies: list[str]) -> list[dict[str, Any]]:
        ordered = self._order(currencies)
        rows = []
        for key, amounts in ordered[:top]:
            row: dict[str, Any] = dict(zip(self.group_by, key, strict=True))
            if "vendor" in self.group_by:
                tax_id = row["vendor"]
                row["name"] = _short(self.names[tax_id]) if tax_id in self.names else None
            rows.append(row | self._amounts(amounts, currencies))
        rest = ordered[top:]
        if rest:
            others: Amounts = {}
            for _, amounts in rest:
                _merge(others, amounts)
            rows.append({"others": len(rest)} | self._amounts(others, currencies))
        return rows

    def _message(self, top: int, currencies: list[str]) -> str:
        count = _count(self.totals)
        money_in = currencies[0] if len(currencies) == 1 else " and ".join(currencies)
        if count == 0:
            return "No invoices match these filters."
        text = f"{count} invoice{'s' if count != 1 else ''} ({money_in})"
        if self.group_by:
            shown = min(top, len(self.groups))
            text += f" in {len(self.groups)} group{'s' if len(self.groups) != 1 else ''} by "
            text += " and ".join(self.group_by)
            if len(self.groups) > top:
                text += f"; the {shown} largest are shown, {len(self.groups) - top} more summed as others"
        text += ". net is the amount before tax."
        if self.incomplete:
            text += f" {self.incomplete} invoice(s) lacked an amount; they count, their missing amount as 0."
        return text


def from_aggregations(aggregations: Any, group_by: tuple[str, ...]) -> Summary | None:
    """The summary the API's ``aggregations`` give, when they answer ``group_by`` exactly; else None."""
    if group_by not in _AGGREGATED or not isinstance(aggregations, Mapping):
        return None
    by_currency = aggregations.get("by_currency")
    if not isinstance(by_currency, Mapping):
        return None
    totals: Amounts = {}
    for currency, bucket in by_currency.items():
        sums = Sums.of_bucket(bucket)
        if sums is None or not isinstance(currency, str):
            return None
        totals[currency] = sums
    overall = aggregations.get("count")
    if not isinstance(overall, int) or overall != _count(totals):
        return None
    groups: dict[Key, Amounts] = {}
    if group_by == ("status",):
        by_status = aggregations.get("by_status")
        if len(totals) > 1 or not isinstance(by_status, Mapping):
            return None  # by_status mixes currencies: only the invoices can tell them apart
        currency = next(iter(totals), HOME_CURRENCY)
        for status, bucket in by_status.items():
            sums = Sums.of_bucket(bucket)
            if sums is None:
                return None
            if sums.count:
                groups[(_text(status),)] = {currency: sums}
        if sum(_count(a) for a in groups.values()) != overall:
            return None
    return Summary(group_by, groups, totals, source="aggregations")


class SummaryTools(Handler):
    async def summarize_invoices(self, call: Call) -> dict[str, Any]:
        start, end = call.get("date_from"), call.get("date_to")
        if start and end and start > end:
            raise ToolError.invalid_arguments(f"date_from ({start}) is after date_to ({end})")
        group_by = tuple(call.get("group_by") or ())
        filters = {key: call.args[key] for key in _FILTERS if key in call.args}
        if "direction" in call.args:
            filters["direction"] = _DIRECTION_CODES[call["direction"]]
        top = call.get("top", DEFAULT_TOP)
        entity_id = call["entity_id"]
        if group_by in _AGGREGATED:
            # One invoice is enough to receive the sums over all of them, if the API sends them.
            probe = _plain(await self.client.list_invoices(entity_id, page=1, page_size=1, **filters))
            summary = from_aggregations(probe.get("aggregations"), group_by)
            if summary is not None:
                await call.progress(1, 1, "Summed by the API")
                return summary.result(top)
        return (await self._read_all(call, entity_id, group_by, filters)).result(top)

    async def _read_all(
        self, call: Call, entity_id: str, group_by: tuple[str, ...], filters: dict[str, Any]
    ) -> Summary:
        from finizi_b4b.tools.messages import too_many_invoices

        grouper = Grouper(group_by)
        last_page = MAX_INVOICES  # a bound on the loop even for an API whose pages are tiny
        for number in range(1, last_page + 1):
            page = _plain(
                await self.client.list_invoices(entity_id, page=number, page_size=PAGE_SIZE, **filters)
            )
            items = page.get("items") or []
            total = page.get("total") if isinstance(page.get("total"), int) else None
            if total is not None and total > MAX_INVOICES:
                raise ToolError(ErrorCode.INVALID_ARGUMENTS, too_many_invoices(total, MAX_INVOICES))
            for item in items:
                if isinstance(item, Mapping):
                    grouper.add(item)
            read = grouper.received
            await call.progress(read, total, f"Read {read} of {total or 'the'} invoices (page {number})")
            has_next = page.get("has_next")
            if not isinstance(has_next, bool):
                has_next = read < total if total is not None else len(items) >= PAGE_SIZE
            if not has_next or not items:
                break
            if read >= MAX_INVOICES:
                raise ToolError(ErrorCode.INVALID_ARGUMENTS, too_many_invoices(None, MAX_INVOICES))
        totals: Amounts = {}
        for amounts in grouper.groups.values():
            _merge(totals, amounts)
        return Summary(group_by, grouper.groups, totals, grouper.names, incomplete=grouper.incomplete)
