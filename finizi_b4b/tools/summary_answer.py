"""The answer of summarize_invoices: groups, totals, what was left out and what was read, as JSON and words.

Groupings by period (month, quarter, year; without vendor) list every group in
time order, so that no month of the period asked for is folded away. Other
groups come largest total first, ``top`` of them, the rest summed in one
``others`` row. In one currency the amounts are
plain; with several, each group splits them ``by_currency``: at most
:data:`MAX_CURRENCIES` of them (the home currency first, then the most used),
the invoices in any other currency counted apart (amounts in different
currencies cannot be added), so that an answer stays small whatever the data.

A summary that read fewer invoices than the API reported says so: its
``coverage`` is not complete and its message starts with the shortfall.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import anyio.lowlevel
import attrs

from finizi_b4b.api.money import amount_text
from finizi_b4b.tools.base import shortened
from finizi_b4b.tools.paid import PaymentScope
from finizi_b4b.tools.summary_read import CHUNK, HOME_CURRENCY, VENDOR_KEYS, Coverage, Key
from finizi_b4b.tools.sums import Amounts, Sums, count_of, merge

__all__ = ["LEFT_OUT", "MAX_CURRENCIES", "MAX_LISTED", "Summary"]

# Statuses whose invoices are not money, left out unless a status is asked for (as the statistics do).
LEFT_OUT = ("cancelled",)
MAX_CURRENCIES = 4
# Groups listed at most when every group is listed (periods, statuses, directions); more are folded.
MAX_LISTED = 240
_TIME_KEYS = frozenset({"month", "quarter", "year"})
_NAME_CHARS = 48  # a counterparty's name is cut to this many characters, so that 12 groups stay small


def _kept_currencies(amounts: Iterable[Amounts]) -> tuple[list[str], int]:
    """The currencies shown (home first, then by invoice count) and how many others there are."""
    counts: dict[str, int] = {}
    for group in amounts:
        for currency, sums in group.items():
            counts[currency] = counts.get(currency, 0) + sums.count
    kept = heapq.nsmallest(MAX_CURRENCIES, counts, key=lambda c: (c != HOME_CURRENCY, -counts[c], c))
    return kept or [HOME_CURRENCY], max(0, len(counts) - MAX_CURRENCIES)


def _none_last(key: Key) -> tuple[Any, ...]:
    return tuple((part is None, part or "") for part in key)


@attrs.frozen
class Summary:
    """Groups (key -> amounts per currency) and the totals over all of them, ready to be shown.

    ``excluded`` holds the invoices of the ``left_out`` statuses, which are in no group and no
    total; it is None when nothing was left out by rule (a status was asked for). ``coverage`` is
    what paging read (None when the API's own sums answered).
    """

    group_by: tuple[str, ...]
    groups: dict[Key, Amounts]
    totals: Amounts
    names: Mapping[str, str] = attrs.Factory(dict)
    source: str = "invoices"
    incomplete: int = 0
    excluded: Amounts | None = None
    left_out: tuple[str, ...] = ()
    coverage: Coverage | None = None
    vendor_key: int = 0
    without_vendor: int = 0
    without_currency: int = 0
    payments: PaymentScope | None = None

    def _amounts(self, amounts: Amounts, currencies: list[str]) -> dict[str, Any]:
        if len(currencies) == 1 and set(amounts) <= set(currencies):
            return (amounts.get(currencies[0]) or Sums()).as_json()
        data: dict[str, Any] = {
            "count": count_of(amounts),
            "by_currency": {c: amounts[c].as_json() for c in currencies if c in amounts},
        }
        other = sum(sums.count for c, sums in amounts.items() if c not in currencies)
        if other:
            data["other_currencies_count"] = other
        return data

    async def result(self, top: int) -> dict[str, Any]:
        currencies, others = _kept_currencies([self.totals, self.excluded or {}])
        data: dict[str, Any] = {"group_by": list(self.group_by)}
        if len(currencies) == 1 and not others:
            data["currency"] = currencies[0]
        else:
            data["currencies"] = currencies
            if others:
                data["other_currencies"] = others
        data["totals"] = self._amounts(self.totals, currencies)
        if self.excluded is not None:
            data["excluded"] = {"status": ", ".join(self.left_out)} | self._amounts(self.excluded, currencies)
        if self.group_by:
            data["groups"] = await self._rows(top, currencies)
            data["group_count"] = len(self.groups)
        if "vendor" in self.group_by:
            data["vendor_key"] = VENDOR_KEYS[self.vendor_key]
            if self.without_vendor:
                data["without_vendor_key"] = self.without_vendor
        data["source"] = self.source
        if self.coverage is not None:
            data["coverage"] = self.coverage.as_json()
        if self.incomplete:
            data["incomplete"] = self.incomplete
        if self.without_currency:
            data["without_currency"] = self.without_currency
        message = self._message(top, currencies, others)
        if self.payments is not None:
            from finizi_b4b.tools.messages import payment_basis_note

            data |= self.payments.as_json()
            message += payment_basis_note(self.payments)
        return {"message": message, "data": data}

    @property
    def _by_time(self) -> bool:
        """Whether groups are listed in time order, all of them: a grouping by period, without vendor."""
        return "vendor" not in self.group_by and any(key in _TIME_KEYS for key in self.group_by)

    async def _ordered(
        self, shown: int, currencies: list[str]
    ) -> tuple[list[tuple[Key, Amounts]], list[Amounts]]:
        """The groups shown, in order, and the amounts of the rest. Periods in time order; other groups
        largest first (the top ``shown`` of them picked, not every group sorted), ranked a chunk at a time
        with a checkpoint between chunks, so that thousands of groups never hold up the server."""
        items = list(self.groups.items())
        if self._by_time:
            ordered = sorted(items, key=lambda kv: _none_last(kv[0]))
            return ordered[:shown], [amounts for _, amounts in ordered[shown:]]
        zero = Decimal(0)
        ranked: list[tuple[tuple[Any, ...], int]] = []
        for start in range(0, len(items), CHUNK):
            for index in range(start, min(start + CHUNK, len(items))):
                key, amounts = items[index]
                totals = [-(amounts[c].total if c in amounts else zero) for c in currencies]
                ranked.append(((*totals, _none_last(key)), index))
            await anyio.lowlevel.checkpoint()
        chosen = [index for _, index in heapq.nsmallest(shown, ranked)]
        picked = set(chosen)
        return [items[i] for i in chosen], [
            amounts for i, (_, amounts) in enumerate(items) if i not in picked
        ]

    async def _rows(self, top: int, currencies: list[str]) -> list[dict[str, Any]]:
        shown = MAX_LISTED if self._by_time else top
        ordered, rest = await self._ordered(shown, currencies)
        rows = []
        for key, amounts in ordered:
            row: dict[str, Any] = dict(zip(self.group_by, key, strict=True))
            if "vendor" in self.group_by:
                value = row["vendor"]
                row["name"] = shortened(self.names[value], _NAME_CHARS) if value in self.names else None
            rows.append(row | self._amounts(amounts, currencies))
        if rest:
            others: Amounts = {}
            for done, amounts in enumerate(rest, 1):
                merge(others, amounts)
                if done % CHUNK == 0:
                    await anyio.lowlevel.checkpoint()
            rows.append({"others": len(rest)} | self._amounts(others, currencies))
        return rows

    def _message(self, top: int, currencies: list[str], others: int) -> str:
        count = count_of(self.totals)
        text = self._coverage_note()
        money_in = currencies[0] if len(currencies) == 1 else " and ".join(currencies)
        if others:
            money_in += f", and {others} other currencies counted apart"
        if count == 0:
            return text + "No invoices match these filters." + self._left_out_note()
        text += f"{count} invoice{'s' if count != 1 else ''} ({money_in})"
        if self.group_by:
            groups = len(self.groups)
            text += f" in {groups} group{'s' if groups != 1 else ''} by " + " and ".join(self.group_by)
            limit = MAX_LISTED if self._by_time else top
            if groups > limit:
                which = "first" if self._by_time else "largest"
                text += f"; the {limit} {which} are shown, {groups - limit} more summed as others"
        text += ". net is the amount before tax." + self._left_out_note()
        if "vendor" in self.group_by and self.vendor_key:
            text += (
                f" The invoice list gave no counterparty tax id for every invoice, so vendors are "
                f"grouped by {VENDOR_KEYS[self.vendor_key].replace('_', ' ')}."
            )
        if self.without_vendor:
            text += f" {self.without_vendor} invoice(s) name no vendor; they are in the vendor null group."
        if self.incomplete:
            text += f" {self.incomplete} invoice(s) lacked an amount; they count, their missing amount as 0."
        if self.without_currency:
            text += f" {self.without_currency} invoice(s) came without a currency and were taken as VND."
        return text

    def _coverage_note(self) -> str:
        """The shortfall first, when paging read fewer invoices than the API reported."""
        coverage = self.coverage
        if coverage is None or coverage.complete:
            return ""
        read = f"{coverage.read:,}"
        if coverage.stopped == "repeated_page":
            why = f"page {coverage.pages} repeated invoices already read and added none, so reading stopped"
        elif coverage.changed:
            why = (
                f"the number of matching invoices changed while reading "
                f"({coverage.first_total:,} then {coverage.reported:,})"
            )
        else:
            why = "the API's pages held fewer invoices than it reported"
        reported = f" of the {coverage.reported:,} the API reported" if coverage.reported is not None else ""
        return (
            f"INCOMPLETE: only {read} invoices{reported} could be read ({why}); the figures below "
            "cover those only and are not the full totals. Ask again, or narrow the period. "
        )

    def _left_out_note(self) -> str:
        """What was left out by rule, so that a smaller total is never a silent one."""
        count = count_of(self.excluded or {})
        if not count:
            return ""
        statuses = " or ".join(self.left_out)
        kept, _ = _kept_currencies([self.excluded or {}])
        money_out = " and ".join(f"{amount_text(self.excluded[c].total)} {c}" for c in kept)
        return (
            f" {count} {statuses} invoice{'s' if count != 1 else ''} (total {money_out}) left out, "
            f"as they are not spend; see excluded, or give status={self.left_out[0]!r} to sum them."
        )
