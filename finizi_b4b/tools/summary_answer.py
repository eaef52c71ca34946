"""The answer of summarize_invoices: groups, totals and what was left out, as compact JSON and words.

Groups come largest total first, ``top`` of them, the rest summed in one
``others`` row. In one currency the amounts are plain; with several, each
group splits them ``by_currency`` and groups are ordered by their VND total
first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from finizi_b4b.tools.sums import Amounts, Sums, count_of, merge, shown_amount

__all__ = ["HOME_CURRENCY", "LEFT_OUT", "Key", "Summary"]

HOME_CURRENCY = "VND"
# Statuses whose invoices are not money, left out unless a status is asked for (as the statistics do).
LEFT_OUT = ("cancelled",)
_NAME_CHARS = 48  # a counterparty's name is cut to this many characters, so that 12 groups stay small
Key = tuple[str | None, ...]


def _currencies(amounts: Iterable[Amounts]) -> list[str]:
    found = {currency for group in amounts for currency in group}
    return sorted(found, key=lambda c: (c != HOME_CURRENCY, c)) or [HOME_CURRENCY]


def _short(name: str) -> str:
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1].rstrip() + "…"


@attrs.frozen
class Summary:
    """Groups (key -> amounts per currency) and the totals over all of them, ready to be shown.

    ``excluded`` holds the invoices of the ``left_out`` statuses, which are in no group and no
    total; it is None when nothing was left out by rule (a status was asked for).
    """

    group_by: tuple[str, ...]
    groups: dict[Key, Amounts]
    totals: Amounts
    names: Mapping[str, str] = attrs.Factory(dict)
    source: str = "invoices"
    incomplete: int = 0
    excluded: Amounts | None = None
    left_out: tuple[str, ...] = ()

    def _amounts(self, amounts: Amounts, currencies: list[str]) -> dict[str, Any]:
        if len(currencies) == 1:
            return (amounts.get(currencies[0]) or Sums()).as_json()
        return {
            "count": count_of(amounts),
            "by_currency": {c: amounts[c].as_json() for c in currencies if c in amounts},
        }

    def result(self, top: int) -> dict[str, Any]:
        currencies = _currencies([self.totals, self.excluded or {}])
        data: dict[str, Any] = {"group_by": list(self.group_by)}
        if len(currencies) == 1:
            data["currency"] = currencies[0]
        else:
            data["currencies"] = currencies
        data["totals"] = self._amounts(self.totals, currencies)
        if self.excluded is not None:
            data["excluded"] = {"status": ", ".join(self.left_out)} | self._amounts(self.excluded, currencies)
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
                merge(others, amounts)
            rows.append({"others": len(rest)} | self._amounts(others, currencies))
        return rows

    def _message(self, top: int, currencies: list[str]) -> str:
        count = count_of(self.totals)
        money_in = currencies[0] if len(currencies) == 1 else " and ".join(currencies)
        if count == 0:
            return "No invoices match these filters." + self._left_out_note()
        text = f"{count} invoice{'s' if count != 1 else ''} ({money_in})"
        if self.group_by:
            shown = min(top, len(self.groups))
            text += f" in {len(self.groups)} group{'s' if len(self.groups) != 1 else ''} by "
            text += " and ".join(self.group_by)
            if len(self.groups) > top:
                text += f"; the {shown} largest are shown, {len(self.groups) - top} more summed as others"
        text += ". net is the amount before tax." + self._left_out_note()
        if self.incomplete:
            text += f" {self.incomplete} invoice(s) lacked an amount; they count, their missing amount as 0."
        return text

    def _left_out_note(self) -> str:
        """What was left out by rule, so that a smaller total is never a silent one."""
        count = count_of(self.excluded or {})
        if not count:
            return ""
        statuses = " or ".join(self.left_out)
        money_out = " and ".join(
            f"{shown_amount(self.excluded[c].total)} {c}" for c in _currencies([self.excluded or {}])
        )
        return (
            f" {count} {statuses} invoice{'s' if count != 1 else ''} (total {money_out}) left out, "
            f"as they are not spend; see excluded, or give status={self.left_out[0]!r} to sum them."
        )
