"""summarize_invoices: counts and sums of an entity's invoices, grouped, in one call.

The server does the adding up so that the model does not have to: it reads
every matching invoice (pages of 200, progress after each) and sums them per
group, with exact arithmetic (see :mod:`finizi_b4b.tools.sums`).

A cancelled invoice is not spend: unless ``status`` is given, invoices whose
status is in :data:`LEFT_OUT` are not summed, and the answer says how many were
left out and what they came to (``excluded``), so that no total is silently
smaller. A ``status`` filter is honoured as given: ``status="cancelled"`` sums
exactly the cancelled ones.

The API's ``aggregations`` (sums over every matching invoice, sent beside a
list page) are an assumption of the contract (ledger row 42), so they answer
only when they agree with themselves and with the page's ``total``: the counts
of ``by_currency`` and ``by_status`` add up to ``count``, which is the page's
``total``; in one currency their amounts add up to the overall amounts, and no
bucket is negative. Those sums include cancelled invoices unless a status is
given, so without one the cancelled bucket of ``by_status`` is taken off; as
``by_status`` mixes currencies, that is only done in one currency (or when
nothing was cancelled). Otherwise the invoices are paged, and ``source`` says
which gave the figures.

Paging counts the distinct invoices read (an invoice repeated by shifting pages
is summed once) and compares them with what the API said; a page that adds no
new invoice stops the reading. A summary of fewer invoices than the API
reported says so in ``coverage`` and first thing in its message. All of it runs
within the call's deadline; a summary that cannot finish in time is refused
rather than shown partial. More than :data:`MAX_INVOICES` matching invoices is
refused as ``invalid_arguments`` before anything is added up.

A ``payment_status`` (a filter, or a grouping) is told per invoice on the basis
:mod:`.paid` finds (its payments not cancelled against its total, else its
status); the invoices are then always paged, and the answer names the basis
(``payment_basis``). Without one, nothing of this runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from finizi_b4b.api.errors import BackendTimeout
from finizi_b4b.api.fields import DIRECTION_CODES, DIRECTIONS
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.base import Call, Handler
from finizi_b4b.tools.paid import PaymentScope, read_paid
from finizi_b4b.tools.summary_answer import LEFT_OUT, Summary
from finizi_b4b.tools.summary_read import HOME_CURRENCY, Grouper, Key
from finizi_b4b.tools.sums import Amounts, Sums, count_of, merge

if TYPE_CHECKING:
    from finizi_b4b.api.models import InvoicePage

__all__ = [
    "DEFAULT_TOP",
    "GROUP_KEYS",
    "LEFT_OUT",
    "MAX_INVOICES",
    "PAGE_SIZE",
    "SummaryTools",
    "agreeing_sums",
    "by_direction",
    "filters_of",
    "from_aggregations",
    "summarize",
]

MAX_INVOICES = 20_000
PAGE_SIZE = 200
DEFAULT_TOP = 12
GROUP_KEYS = ("month", "quarter", "year", "vendor", "status", "direction", "payment_status")
_FILTERS = ("status", "vendor_id", "date_from", "date_to", "q")
# Groupings the API's aggregations can answer without paging.
_AGGREGATED = ((), ("status",))
# Pages read at most: the invoices cap at the smallest page a backend may send, plus the empty last one.
_MAX_PAGES = MAX_INVOICES + 1


def _buckets(buckets: Any) -> dict[str, Sums] | None:
    """Sums per key of one breakdown of the API's aggregations, or None if it is not one."""
    if not isinstance(buckets, Mapping):
        return None
    found: dict[str, Sums] = {}
    for key, bucket in buckets.items():
        sums = Sums.of_bucket(bucket)
        if sums is None or not isinstance(key, str) or min(sums.net, sums.tax, sums.total) < 0:
            return None
        found[key] = sums
    return found


def _adds_up(parts: dict[str, Sums], whole: Sums) -> bool:
    total = Sums()
    for sums in parts.values():
        total.add(sums)
    return (total.count, total.net, total.tax, total.total) == (
        whole.count,
        whole.net,
        whole.tax,
        whole.total,
    )


def agreeing_sums(page: InvoicePage) -> tuple[Sums, dict[str, Sums], dict[str, Sums]] | None:
    """The page's ``aggregations`` (overall, by currency, by status) when they agree with themselves,
    with the page's ``total`` and with its ``total_amount`` (when sent); else None."""
    aggregations = page.aggregations
    if aggregations is None:
        return None
    overall = Sums.of_bucket(aggregations)
    totals = _buckets(aggregations.get("by_currency"))
    statuses = _buckets(aggregations.get("by_status"))
    if overall is None or totals is None or statuses is None:
        return None
    if overall.count != page.total or count_of(totals) != overall.count:
        return None
    if sum(sums.count for sums in statuses.values()) != overall.count:
        return None
    if "total_amount" in page.raw and page.total_amount != overall.total:
        return None
    if len(totals) <= 1 and ((totals and not _adds_up(totals, overall)) or not _adds_up(statuses, overall)):
        return None  # in one currency every breakdown must add up to the overall sums
    return overall, totals, statuses


def from_aggregations(
    page: InvoicePage, group_by: tuple[str, ...], left_out: tuple[str, ...] = ()
) -> Summary | None:
    """The summary the API's ``aggregations`` give, when they answer ``group_by`` exactly and agree
    with themselves and with the page's ``total``; else None (the invoices are paged instead)."""
    agreeing = agreeing_sums(page) if group_by in _AGGREGATED else None
    if agreeing is None:
        return None
    _, totals, statuses = agreeing
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
            if kept is None or min(kept.net, kept.tax, kept.total) < 0:
                return None
            totals, excluded = {currency: kept}, {currency: gone}
    groups: dict[Key, Amounts] = {}
    if group_by == ("status",):
        if len(totals) > 1:
            return None  # by_status mixes currencies
        currency = next(iter(totals), HOME_CURRENCY)
        for status, sums in statuses.items():
            if sums.count and status not in left_out:
                groups[(status.strip() or None,)] = {currency: sums}
    return Summary(group_by, groups, totals, source="aggregations", excluded=excluded, left_out=left_out)


async def summarize(
    handler: Handler,
    call: Call,
    entity_id: str,
    group_by: tuple[str, ...],
    filters: dict[str, Any],
    left_out: tuple[str, ...],
    *,
    payments: PaymentScope | None = None,
) -> Summary:
    """The summary of the invoices ``filters`` select: the API's sums when they can be trusted, else
    every page read (``left_out`` statuses counted apart); ``payments`` tells each invoice's payment
    status (for a ``payment_status`` filter or grouping), and the invoices are then always paged."""
    if group_by in _AGGREGATED and payments is None:
        # One invoice is enough to receive the sums over all of them, if the API sends them.
        probe = await handler.client.list_invoices(entity_id, page=1, page_size=1, **filters)
        summary = from_aggregations(probe, group_by, left_out)
        if summary is not None:
            await call.progress(1, 1, "Summed by the API")
            return summary
    return await _read_all(handler, call, entity_id, group_by, filters, left_out, payments)


async def by_direction(
    handler: Handler, call: Call, entity_id: str, period: dict[str, Any]
) -> dict[str, Summary]:
    """A summary by status of the purchases, then of the sales, in ``period`` (cancelled ones not left
    out: the callers tell them apart)."""
    return {
        direction: await summarize(handler, call, entity_id, ("status",), {**period, "direction": code}, ())
        for direction, code in DIRECTION_CODES.items()
    }


async def _read_all(
    handler: Handler,
    call: Call,
    entity_id: str,
    group_by: tuple[str, ...],
    filters: dict[str, Any],
    left_out: tuple[str, ...],
    payments: PaymentScope | None = None,
) -> Summary:
    from finizi_b4b.tools.messages import summary_out_of_time, too_many_invoices

    grouper = Grouper(group_by, left_out, DIRECTIONS.get(filters.get("direction", -1)))
    if payments is not None:
        grouper.paid, grouper.payment_filter = payments.basis, payments.wanted
    coverage = grouper.coverage
    for number in range(1, _MAX_PAGES + 1):
        try:
            page = await handler.client.list_invoices(entity_id, page=number, page_size=PAGE_SIZE, **filters)
        except BackendTimeout:
            if call.out_of_time():
                raise ToolError(
                    ErrorCode.BACKEND_TIMEOUT,
                    summary_out_of_time(coverage.read, coverage.reported, call.deadline_s),
                    retryable=True,
                ) from None
            raise
        coverage.note_page(page)
        items = page.items
        if coverage.reported is not None and coverage.reported > MAX_INVOICES:
            raise ToolError(ErrorCode.INVALID_ARGUMENTS, too_many_invoices(coverage.reported, MAX_INVOICES))
        new = grouper.add_page(items)
        read, total = coverage.read, coverage.reported
        await call.progress(read, total, f"Read {read} of {total or 'the'} invoices (page {number})")
        if not items:
            break
        if new == 0:
            coverage.stopped = "repeated_page"
            break
        if page.has_next is not None:
            more = page.has_next
        elif total is not None:
            more = read < total
        elif coverage.pages_reported is not None:
            more = number < coverage.pages_reported
        else:
            more = True  # no counts at all: read until an empty page
        if not more:
            break
        if read >= MAX_INVOICES:
            raise ToolError(ErrorCode.INVALID_ARGUMENTS, too_many_invoices(None, MAX_INVOICES))
    groups, names, (vendor_key, without_vendor) = await grouper.final_groups()
    totals: Amounts = {}
    for amounts in groups.values():
        merge(totals, amounts)
    return Summary(
        group_by,
        groups,
        totals,
        names,
        incomplete=grouper.incomplete,
        excluded=grouper.excluded if left_out else None,
        left_out=left_out,
        coverage=coverage,
        vendor_key=vendor_key,
        without_vendor=without_vendor,
        without_currency=grouper.without_currency,
        payments=attrs.evolve(payments, unknown=grouper.payment_unknown) if payments is not None else None,
    )


def filters_of(call: Call, names: tuple[str, ...] = _FILTERS) -> dict[str, Any]:
    """The list filters a call gives, ``direction`` as the API's code."""
    filters = {key: call.args[key] for key in names if key in call.args}
    if "direction" in call.args:
        filters["direction"] = DIRECTION_CODES[call["direction"]]
    return filters


def _after(call: Call, done: float) -> Call:
    """``call`` with its progress counted on from ``done`` (progress only ever increases)."""

    async def progress(value: float, total: float | None, message: str | None) -> None:
        await call.progress(done + value, None if total is None else done + total, message)

    return attrs.evolve(call, progress=progress)


class SummaryTools(Handler):
    async def summarize_invoices(self, call: Call) -> dict[str, Any]:
        from finizi_b4b.tools.messages import partly_paid_unknown

        group_by = tuple(call.get("group_by") or ())
        left_out = () if "status" in call.args else LEFT_OUT  # a status asked for is honoured as given
        payments = None
        if "payment_status" in call.args or "payment_status" in group_by:
            basis = await read_paid(self.client, call, call["entity_id"])
            wanted = call.get("payment_status")
            if basis.basis == "status" and wanted == "partly_paid":
                raise ToolError(ErrorCode.BAD_RESPONSE, partly_paid_unknown(basis))
            payments = PaymentScope(basis, wanted)
            call = _after(call, basis.read)
        summary = await summarize(
            self, call, call["entity_id"], group_by, filters_of(call), left_out, payments=payments
        )
        return await summary.result(call.get("top", DEFAULT_TOP))
