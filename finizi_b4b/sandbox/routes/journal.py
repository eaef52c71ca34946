"""Routes: the journal (contract part B1): trial balance, general ledger, general journal, entries.

The entries are derived from the invoices and payments (:mod:`finizi_b4b.sandbox.ledger`).
Amounts are decimal strings; balances are debit minus credit. Part B1 shows
the paths and queries but no answer shape: the shapes below are the sandbox's
choice. ``journal-entries`` requires ``X-Entity-Id``; the four other routes
accept it (a header naming another entity is a 403) without requiring it.

- ``GET .../journal/gl/trial-balance?from_date&to_date`` (both required):
  ``accounts`` (per account code: ``opening_debit``, ``opening_credit``,
  ``period_debit``, ``period_credit``, ``closing_debit``, ``closing_credit``,
  with the chart's ``account_name`` and ``normal_balance``), ``totals`` of
  those six columns and ``balanced``. Minimal mode: only ``items``, rows of
  ``account_code``, ``opening_balance``, ``debit``, ``credit``, ``closing_balance``.
- ``GET .../general-ledger?account&from_date&to_date&page&per_page``: the
  account (its sub-accounts included: ``133`` holds ``1331``), its opening and
  closing balance and period movements, and its lines in the period as a page,
  each with the running ``balance``. An account not in the chart is a 404.
  Minimal mode: ``items`` (no ``balance``) and ``total``.
- ``GET .../general-journal?from_date&to_date&page&per_page``: the entries of
  the period, oldest first, with their lines, as a page. Minimal: ``items``, ``total``.
- ``GET .../journal-summary``: counts and totals of every entry.
- ``GET .../journal-entries?reference_type&reference_id&include_lines&page&per_page``
  (``per_page`` at most 100): entries (``lines`` only with
  ``include_lines=true``) as a page. Minimal mode: each item only ``id`` and
  ``lines`` of ``account_code``, ``debit`` and ``credit``, with ``total``, ``page``, ``per_page``.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.ledger import ACCOUNTS, Balance, Entry, balances, chart_row, entries_of, money
from finizi_b4b.sandbox.problems import Problems, boolean, integer, record_id
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.routes.common import API, date_range, paged, paging, scoped_entity

__all__ = ["ACCOUNT", "entry_view", "routes"]

ACCOUNT = re.compile(r"^[0-9A-Za-z._-]{1,32}$")
REFERENCE_TYPES = ("invoice", "payment")
routes = web.RouteTableDef()
_COLUMNS = (
    "opening_debit",
    "opening_credit",
    "period_debit",
    "period_credit",
    "closing_debit",
    "closing_credit",
)


def entry_view(entry: Entry, include_lines: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": entry.id,
        "entity_id": entry.entity_id,
        "entry_number": entry.entry_number,
        "entry_date": entry.entry_date,
        "status": "posted",
        "reference_type": entry.reference_type,
        "reference_id": entry.reference_id,
        "description": entry.description,
        "total_debit": money(entry.total),
        "total_credit": money(entry.total),
    }
    if include_lines:
        view["lines"] = [
            {
                "line_number": number,
                "account_code": line.account_code,
                "account_name": ACCOUNTS[line.account_code][0],
                "debit": money(line.debit),
                "credit": money(line.credit),
                "description": line.description,
            }
            for number, line in enumerate(entry.lines, start=1)
        ]
    return view


def _minimal_entry(entry: Entry, include_lines: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"id": entry.id}
    if include_lines:
        view["lines"] = [
            {"account_code": line.account_code, "debit": money(line.debit), "credit": money(line.credit)}
            for line in entry.lines
        ]
    return view


def _row(balance: Balance) -> dict[str, Any]:
    opening, closing = balance.opening, balance.closing
    return {
        **chart_row(balance.account_code),
        "opening_debit": max(opening, 0),
        "opening_credit": max(-opening, 0),
        "period_debit": balance.debit,
        "period_credit": balance.credit,
        "closing_debit": max(closing, 0),
        "closing_credit": max(-closing, 0),
    }


@routes.get(f"{API}/entities/{{entity_id}}/journal/gl/trial-balance", name="journal.trial_balance")
async def trial_balance(request: web.Request) -> web.Response:
    problems = Problems()
    first, last = date_range(problems, request, required=True)
    entity, _ = scoped_entity(request, problems, header_required=False)
    rows = balances(entries_of(request.app[STATE], entity["id"]), first, last)
    if request.app[SETTINGS].minimal:
        items = [
            {
                "account_code": b.account_code,
                "opening_balance": money(b.opening),
                "debit": money(b.debit),
                "credit": money(b.credit),
                "closing_balance": money(b.closing),
            }
            for b in rows
        ]
        return json_response({"items": items})
    accounts = [_row(b) for b in rows]
    totals = {column: sum((a[column] for a in accounts), 0) for column in _COLUMNS}
    balanced = all(
        totals[f"{when}_debit"] == totals[f"{when}_credit"] for when in ("opening", "period", "closing")
    )
    return json_response(
        {
            "entity_id": entity["id"],
            "from_date": first,
            "to_date": last,
            "currency": "VND",
            "accounts": [{k: money(v) if k in _COLUMNS else v for k, v in a.items()} for a in accounts],
            "totals": {k: money(v) for k, v in totals.items()},
            "balanced": balanced,
        }
    )


@routes.get(f"{API}/entities/{{entity_id}}/general-ledger", name="journal.general_ledger")
async def general_ledger(request: web.Request) -> web.Response:
    problems = Problems()
    account = request.query.get("account")
    if account is None:
        problems.add(["query", "account"], "missing", "Field required", None)
    elif not ACCOUNT.match(account):
        message = f"String should match pattern '{ACCOUNT.pattern}'"
        problems.add(
            ["query", "account"], "string_pattern_mismatch", message, account, pattern=ACCOUNT.pattern
        )
    first, last = date_range(problems, request, required=False)
    page, size = paging(problems, request, "per_page")
    entity, _ = scoped_entity(request, problems, header_required=False)
    assert account is not None
    if account not in ACCOUNTS:
        raise error(404, f"Account {account} is not in the chart of accounts")
    entries = entries_of(request.app[STATE], entity["id"])
    opening = sum(
        (b.opening for b in balances(entries, first, last) if b.account_code.startswith(account)), start=0
    )
    running, lines = opening, []
    for entry in entries:
        if (first and entry.entry_date < first) or (last and entry.entry_date > last):
            continue
        for line in entry.lines:
            if line.account_code.startswith(account):
                running += line.debit - line.credit
                lines.append((entry, line, running))
    debit = sum((line.debit for _, line, _ in lines), start=0)
    credit = sum((line.credit for _, line, _ in lines), start=0)
    items = [
        {
            "entry_id": entry.id,
            "entry_number": entry.entry_number,
            "entry_date": entry.entry_date,
            "reference_type": entry.reference_type,
            "reference_id": entry.reference_id,
            "account_code": line.account_code,
            "description": line.description,
            "debit": money(line.debit),
            "credit": money(line.credit),
            "balance": money(balance),
        }
        for entry, line, balance in lines
    ]
    if request.app[SETTINGS].minimal:
        shown = paged(items, page, size, lambda item: {k: v for k, v in item.items() if k != "balance"})
        return json_response({"items": shown["items"], "total": shown["total"]})
    return json_response(
        {
            "entity_id": entity["id"],
            **chart_row(account),
            "from_date": first,
            "to_date": last,
            "opening_balance": money(opening),
            "period_debit": money(debit),
            "period_credit": money(credit),
            "closing_balance": money(opening + debit - credit),
            **paged(items, page, size),
        }
    )


@routes.get(f"{API}/entities/{{entity_id}}/general-journal", name="journal.general_journal")
async def general_journal(request: web.Request) -> web.Response:
    problems = Problems()
    first, last = date_range(problems, request, required=False)
    page, size = paging(problems, request, "per_page")
    entity, _ = scoped_entity(request, problems, header_required=False)
    entries = [
        e
        for e in entries_of(request.app[STATE], entity["id"])
        if (not first or e.entry_date >= first) and (not last or e.entry_date <= last)
    ]
    shown = paged(entries, page, size, entry_view)
    if request.app[SETTINGS].minimal:
        return json_response({"items": shown["items"], "total": shown["total"]})
    total = money(sum((e.total for e in entries), start=0))
    head = {"entity_id": entity["id"], "from_date": first, "to_date": last}
    return json_response({**head, "total_debit": total, "total_credit": total, **shown})


@routes.get(f"{API}/entities/{{entity_id}}/journal-summary", name="journal.summary")
async def journal_summary(request: web.Request) -> web.Response:
    entity, _ = scoped_entity(request, header_required=False)
    entries = entries_of(request.app[STATE], entity["id"])
    total = money(sum((e.total for e in entries), start=0))
    by_type = {kind: sum(e.reference_type == kind for e in entries) for kind in REFERENCE_TYPES}
    return json_response(
        {
            "entity_id": entity["id"],
            "entry_count": len(entries),
            "by_status": {"posted": len(entries)},
            "by_reference_type": by_type,
            "total_debit": total,
            "total_credit": total,
            "first_entry_date": entries[0].entry_date if entries else None,
            "last_entry_date": entries[-1].entry_date if entries else None,
        }
    )


@routes.get(f"{API}/entities/{{entity_id}}/journal-entries", name="journal.entries")
async def journal_entries(request: web.Request) -> web.Response:
    query, problems, state = request.query, Problems(), request.app[STATE]
    kind = query.get("reference_type")
    if kind is not None and kind not in REFERENCE_TYPES:
        expected = "'invoice' or 'payment'"
        problems.add(
            ["query", "reference_type"], "enum", f"Input should be {expected}", kind, expected=expected
        )
    reference: Any = query.get("reference_id")
    if reference is not None and kind is not None:
        numbered = state.int_ids and kind == "invoice"
        reference = record_id(problems, "query", "reference_id", reference, numbered)
    include_lines = boolean(problems, "include_lines", query.get("include_lines"), False)
    page = integer(problems, "query", "page", query.get("page"), 1, 1, 1_000_000)
    size = integer(problems, "query", "per_page", query.get("per_page"), 20, 1, 100)
    entity, _ = scoped_entity(request, problems, header_required=True)
    found = [
        e
        for e in entries_of(state, entity["id"])
        if (kind is None or e.reference_type == kind)
        and (reference is None or str(e.reference_id).lower() == str(reference).lower())
    ]
    if request.app[SETTINGS].minimal:
        shown = paged(found, page, size, lambda e: _minimal_entry(e, include_lines))
        return json_response({k: shown[k] for k in ("items", "total", "page", "per_page")})
    return json_response(paged(found, page, size, lambda e: entry_view(e, include_lines)))
