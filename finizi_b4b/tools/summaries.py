"""summarize_invoices: counts and sums of an entity's invoices, grouped, in one call.

The server does the adding up so that the model does not have to: it reads
every matching invoice (pages of 200, progress after each) and sums them per
group, with exact arithmetic (see :mod:`finizi_b4b.tools.sums`).

A cancelled invoice is not spend: unless ``status`` is given, invoices whose
status is in :data:`LEFT_OUT` are not summed, as get_invoice_statistics
leaves their money out too, and the answer says how many were left out and
what they came to (``excluded``), so that no total is silently smaller. A
``status`` filter is honoured as given: ``status="cancelled"`` sums exactly
the cancelled ones.

When the API's list answer already holds the answer, nothing is paged: the
sandbox, like the backend it imitates, sends ``aggregations`` over all
matching invoices (``count``, the three sums, and the same ``by_currency``
and ``by_status``), so the totals alone and a grouping by status cost one
request of one item. Those sums include cancelled invoices unless a status
is given, so without one the cancelled bucket of ``by_status`` is taken off;
as ``by_status`` mixes currencies, that is only done in one currency (or
when nothing was cancelled), and otherwise the invoices are paged.

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
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from finizi_b4b.api.models import unstructure
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.base import Call, Handler, direction_label
from finizi_b4b.tools.summary_answer import HOME_CURRENCY, LEFT_OUT, Key, Summary
from finizi_b4b.tools.sums import AMOUNTS, Amounts, Sums, count_of, merge, money

__all__ = ["DEFAULT_TOP", "GROUP_KEYS", "LEFT_OUT", "MAX_INVOICES", "PAGE_SIZE", "SummaryTools"]

MAX_INVOICES = 20_000
PAGE_SIZE = 200
DEFAULT_TOP = 12
GROUP_KEYS = ("month", "quarter", "year", "vendor", "status", "direction")
_DIRECTION_CODES = {"purchase": 0, "sales": 1}
_FILTERS = ("status", "vendor_id", "date_from", "date_to", "q")
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
    left_out: tuple[str, ...] = ()  # statuses counted apart, in ``excluded``, and not summed
    groups: dict[Key, Amounts] = attrs.Factory(dict)
    excluded: Amounts = attrs.Factory(dict)
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
        amounts = [money(invoice.get(field)) for field in AMOUNTS]
        net, tax, total = (a if a is not None else Decimal(0) for a in amounts)
        currency = _text(invoice.get("currency")) or HOME_CURRENCY
        if _text(invoice.get("status")) in self.left_out:
            self.excluded.setdefault(currency, Sums()).add(Sums(1, net, tax, total))
            return
        key = tuple(_key_part(name, invoice) for name in self.group_by)
        if "vendor" in self.group_by:
            tax_id, name = _counterparty(invoice)
            if tax_id is not None and name is not None:
                self.names.setdefault(tax_id, name)  # the newest invoice's name (lists are newest first)
        if None in amounts:
            self.incomplete += 1
        self.groups.setdefault(key, {}).setdefault(currency, Sums()).add(Sums(1, net, tax, total))


def _buckets(buckets: Any) -> dict[str, Sums] | None:
    """Sums per key of one breakdown of the API's aggregations, or None if it is not one."""
    if not isinstance(buckets, Mapping):
        return None
    found: dict[str, Sums] = {}
    for key, bucket in buckets.items():
        sums = Sums.of_bucket(bucket)
        if sums is None or not isinstance(key, str):
            return None
        found[key] = sums
    return found


def from_aggregations(
    aggregations: Any, group_by: tuple[str, ...], left_out: tuple[str, ...] = ()
) -> Summary | None:
    """The summary the API's ``aggregations`` give, when they answer ``group_by`` exactly; else None.

    They are over every matching invoice, so the ``left_out`` statuses are taken off through
    ``by_status``; as that mixes currencies, only in one currency (or when there are none).
    """
    if group_by not in _AGGREGATED or not isinstance(aggregations, Mapping):
        return None
    totals = _buckets(aggregations.get("by_currency"))
    overall = aggregations.get("count")
    if totals is None or not isinstance(overall, int) or overall != count_of(totals):
        return None
    statuses: dict[str, Sums] = {}
    if group_by or left_out:
        found = _buckets(aggregations.get("by_status"))
        if found is None or sum(sums.count for sums in found.values()) != overall:
            return None
        statuses = found
    excluded: Amounts | None = None
    if left_out:
        gone = Sums()
        for status in left_out:
            gone.add(statuses.get(status) or Sums())
        excluded = {}
        if gone.count:
            if len(totals) != 1:
                return None  # by_status mixes currencies: only the invoices can tell them apart
            currency, sums = next(iter(totals.items()))
            kept = sums.minus(gone)
            if kept is None:
                return None
            totals, excluded = {currency: kept}, {currency: gone}
    groups: dict[Key, Amounts] = {}
    if group_by == ("status",):
        if len(totals) > 1:
            return None  # by_status mixes currencies
        currency = next(iter(totals), HOME_CURRENCY)
        for status, sums in statuses.items():
            if sums.count and status not in left_out:
                groups[(_text(status),)] = {currency: sums}
    return Summary(group_by, groups, totals, source="aggregations", excluded=excluded, left_out=left_out)


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
        left_out = () if "status" in call.args else LEFT_OUT  # a status asked for is honoured as given
        if group_by in _AGGREGATED:
            # One invoice is enough to receive the sums over all of them, if the API sends them.
            probe = _plain(await self.client.list_invoices(entity_id, page=1, page_size=1, **filters))
            summary = from_aggregations(probe.get("aggregations"), group_by, left_out)
            if summary is not None:
                await call.progress(1, 1, "Summed by the API")
                return summary.result(top)
        return (await self._read_all(call, entity_id, group_by, filters, left_out)).result(top)

    async def _read_all(
        self,
        call: Call,
        entity_id: str,
        group_by: tuple[str, ...],
        filters: dict[str, Any],
        left_out: tuple[str, ...],
    ) -> Summary:
        from finizi_b4b.tools.messages import too_many_invoices

        grouper = Grouper(group_by, left_out)
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
            merge(totals, amounts)
        return Summary(
            group_by,
            grouper.groups,
            totals,
            grouper.names,
            incomplete=grouper.incomplete,
            excluded=grouper.excluded if left_out else None,
            left_out=left_out,
        )
