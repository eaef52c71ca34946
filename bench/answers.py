"""What the task-cost questions are made of: the question, its setting, the answer checker, and
helpers that read the seeded sandbox data.

A question's ``script`` asks the server through ``ask`` (one ``tools/call``,
returning the structured content) and returns the answer as plain data. Its
``expected`` computes the same answer straight from the seeded data
(:func:`finizi_b4b.sandbox.build_state` with the sandbox's seed), without the
server or the API. :func:`check_answer` compares the two exactly: amounts are
whole VND, so there is no tolerance.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import attrs

from bench.figures import Check

__all__ = [
    "AMOUNTS",
    "PURCHASE",
    "SALES",
    "Ask",
    "Question",
    "Setting",
    "check_answer",
    "first_difference",
    "fold",
    "invoices_of",
    "month",
    "pick",
    "quarter",
    "sums",
    "year",
]

Ask = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
PURCHASE, SALES = 0, 1
AMOUNTS = ("total_amount_before_tax", "total_tax_amount", "total_amount")


@attrs.frozen
class Setting:
    """What the questions are about, chosen from the seeded data (so that every seed has answers)."""

    entity_id: str
    year: int  # a whole year of data
    this_year: int  # the year of the latest invoice
    invoice_series: str
    invoice_number: str
    branch_tax_id: str
    # The latest issued purchase invoice with no payment: id, total, issue date (the payment question).
    open_invoice: tuple[str, int, str]
    product_text: str = "Robusta"

    @classmethod
    def choose(cls, state: Any) -> Setting:
        entity_id = max(state.invoices, key=lambda key: len(state.invoices[key]))
        invoices = state.invoices[entity_id]
        years = sorted({int(inv["issue_date"][:4]) for inv in invoices})
        picked = invoices[len(invoices) // 3]
        branch = next(v for v in state.vendors[entity_id] if v.get("parent_tax_id"))
        unpaid = [
            inv
            for inv in invoices
            if inv["direction"] == PURCHASE and inv["status"] == "issued" and not state.payments_of(inv)
        ]
        latest = max(unpaid, key=lambda inv: inv["issue_date"])
        return cls(
            entity_id=entity_id,
            year=years[0],
            this_year=years[-1],
            invoice_series=picked["invoice_series"],
            invoice_number=picked["invoice_number"],
            branch_tax_id=branch["tax_id"],
            open_invoice=(latest["id"], latest["total_amount"], latest["issue_date"]),
        )


@attrs.frozen
class Question:
    id: str
    text: str
    tools: tuple[str, ...]  # the tools its script calls
    script: Callable[[Ask, Setting], Awaitable[Any]]
    expected: Callable[[Any, Setting], Any]
    max_calls: int = 2  # the most tool calls an assistant should need

    def check(self, answer: Any, state: Any, setting: Setting) -> Check:
        return check_answer(answer, self.expected(state, setting))


def first_difference(answer: Any, expected: Any, where: str = "answer") -> str | None:
    """Where ``answer`` first differs from ``expected``, or None when they are equal (types included)."""
    if isinstance(expected, dict) and isinstance(answer, dict):
        if set(answer) != set(expected):
            extra, missing = sorted(set(answer) - set(expected)), sorted(set(expected) - set(answer))
            return f"{where}: keys differ (extra {extra}, missing {missing})"
        for key in expected:
            problem = first_difference(answer[key], expected[key], f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(expected, list) and isinstance(answer, list):
        if len(answer) != len(expected):
            return f"{where}: {len(answer)} items, expected {len(expected)}"
        for index, (got, want) in enumerate(zip(answer, expected, strict=True)):
            problem = first_difference(got, want, f"{where}[{index}]")
            if problem:
                return problem
        return None
    if type(answer) is not type(expected) or answer != expected:
        return f"{where}: {answer!r}, expected {expected!r}"
    return None


def check_answer(answer: Any, expected: Any) -> Check:
    problem = first_difference(answer, expected)
    return Check("answer", problem is None, problem or "")


# -- reading the seeded data -------------------------------------------------------------


def fold(text: str) -> str:
    bare = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D").casefold())
    return "".join(ch for ch in bare if not unicodedata.combining(ch))


def invoices_of(
    state: Any,
    setting: Setting,
    *,
    direction: int | None = None,
    date_from: str = "",
    date_to: str = "9999-12-31",
    status: str | None = None,
    counted: bool = True,
) -> list[dict[str, Any]]:
    """The entity's invoices matching the filters; ``counted`` leaves cancelled ones out."""
    return [
        inv
        for inv in state.invoices[setting.entity_id]
        if (direction is None or inv["direction"] == direction)
        and date_from <= inv["issue_date"] <= date_to
        and (status is None or inv["status"] == status)
        and not (counted and inv["status"] == "cancelled")
    ]


def sums(invoices: Iterable[dict[str, Any]]) -> dict[str, int]:
    rows = list(invoices)
    return {"count": len(rows), **{key: sum(inv[key] for inv in rows) for key in AMOUNTS}}


def year(number: int) -> dict[str, str]:
    return {"date_from": f"{number}-01-01", "date_to": f"{number}-12-31"}


def quarter(number_of_year: int, number: int) -> dict[str, str]:
    first = dt.date(number_of_year, 3 * number - 2, 1)
    last = dt.date(number_of_year + (number == 4), (3 * number) % 12 + 1, 1) - dt.timedelta(days=1)
    return {"date_from": first.isoformat(), "date_to": last.isoformat()}


def month(number_of_year: int, number: int) -> dict[str, str]:
    last = dt.date(number_of_year + (number == 12), number % 12 + 1, 1) - dt.timedelta(days=1)
    return {"date_from": f"{number_of_year}-{number:02d}-01", "date_to": last.isoformat()}


def pick(body: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {key: body[key] for key in keys}
