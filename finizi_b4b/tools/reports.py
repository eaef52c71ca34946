"""generate_tax_report, send_tax_report_to_htkk, get_trial_balance, get_general_ledger.

A report is made by the API's background jobs: the tool asks for it, then
follows each queued job (``GET /celery/jobs/{id}``) until it ends, polling
after 0.25 s, then twice as long each time up to 2 s, with progress after each
poll. It stops at the call's deadline with an error that names the report's id
and download link, so that nothing is lost; a cancelled call simply stops
polling. The answer carries the report's figures (:mod:`.report_figures`),
checked against the period's invoices. Generating changes no books, so it is a
read; sending the report on to HTKK (``upload_htkk``) is a write, confirmed
with the user first and refused in read-only mode.

The trial balance and the ledger are compact (:mod:`.ledger_views`); the trial
balance's VAT accounts are checked against the period's invoices too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import anyio
import attrs

from finizi_b4b.api.errors import ApiError, BackendTimeout, NotFound
from finizi_b4b.api.untrusted import quote
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools import messages
from finizi_b4b.tools.base import Call, Handler
from finizi_b4b.tools.ledger_views import ledger_data, trial_balance_data, vat_accounts
from finizi_b4b.tools.report_figures import (
    SIDES,
    InvoiceSide,
    compare,
    flat_figures,
    invoice_figures,
    invoice_sides,
    period_days,
    vat_figures,
)

if TYPE_CHECKING:
    from finizi_b4b.api.records import Record
    from finizi_b4b.api.reports import Job, ReportRequest

__all__ = ["FIRST_WAIT", "LAST_WAIT", "MAX_POLLS", "ReportTools"]

FIRST_WAIT = 0.25  # seconds before the second poll; doubled after each poll up to LAST_WAIT
LAST_WAIT = 2.0
MAX_POLLS = 400  # polls of one report in all (a bound; the call's deadline comes first)
MAX_JOBS = 5
_POLL_MARGIN = 0.1  # seconds a poll is given at least before the deadline


def _part_amount(result: Record, path: tuple[str, ...]) -> Decimal | None:
    from finizi_b4b.api.records import Record

    record: Record | None = result
    for name in path[:-1]:
        value = record.get(name) if record is not None else None
        record = Record(value) if type(value) is dict else None
    return record.amount(path[-1]) if record is not None else None


def _continued(call: Call, done: int) -> Call:
    """The call with its progress numbered on from ``done``, one more at each step (the summaries of
    a cross-check start their own count at 1; progress must only increase)."""
    steps = [done]

    async def progress(_: float, __: float | None, message: str | None) -> None:
        steps[0] += 1
        await call.progress(steps[0], None, message)

    return attrs.evolve(call, progress=progress)


# The figures of other reports that the invoices can check: (path in the result, direction, invoice sum).
_CHECKABLE = {
    "cit": {"revenue": (("revenue",), "sales", "net")},
    "bctc": {"revenue": (("income_statement", "revenue"), "sales", "net")},
}


class ReportTools(Handler):
    async def describe_htkk(self, call: Call) -> str | None:
        from finizi_b4b.tools.import_checks import entity_named

        entity = await entity_named(self.client, call["entity_id"])
        return messages.confirm_htkk(call["report_type"], call["period"], entity)

    async def generate_tax_report(self, call: Call) -> dict[str, Any]:
        return await self._report(call, htkk=False)

    async def send_tax_report_to_htkk(self, call: Call) -> dict[str, Any]:
        return await self._report(call, htkk=True)

    # -- a report and its jobs ---------------------------------------------------------------------------

    async def _report(self, call: Call, *, htkk: bool) -> dict[str, Any]:
        kind, period = call["report_type"], call["period"]
        title = messages.report_title(kind, period)
        request = await self.client.generate_tax_report(
            call["entity_id"], report_type=kind, period=period, upload_htkk=htkk
        )
        url = request.download_url
        if url is not None:
            url = urljoin(self.services.settings.api_url.rstrip("/") + "/", url)
        jobs, polls = await self._follow(call, request, title, url)
        data: dict[str, Any] = {
            "report_id": request.id,
            "download_url": url,
            "report_type": kind,
            "period": period,
            "upload_htkk": htkk,
            "jobs": [{"id": job_id, "status": job.status} for job_id, job in jobs],
            "polls": polls,
        }
        result = next((job.result for _, job in jobs if job.result is not None), None)
        message = messages.report_done(title, [job.status for _, job in jobs], htkk, url)
        message += await self._figures(call, result, data)
        return {"message": message, "data": data}

    async def _follow(
        self, call: Call, request: ReportRequest, title: str, url: str | None
    ) -> tuple[list[tuple[str, Job]], int]:
        """Each queued job polled until it ends: the jobs as they ended, and the polls it took."""
        followed: list[tuple[str, Job]] = []
        polls = 0
        for job_id in request.job_ids[:MAX_JOBS]:
            delay, status = FIRST_WAIT, "pending"
            while True:
                try:
                    job = await self.client.job(job_id)
                except ApiError as exc:
                    if isinstance(exc, BackendTimeout) and call.out_of_time():
                        raise self._not_ready(call, request, title, url, status) from None
                    error = messages.tool_error(exc)
                    raise messages.report_poll_failed(error, title, request.id, url) from None
                polls += 1
                status = job.status
                await call.progress(polls, None, messages.report_job_progress(status, polls))
                if job.ended:
                    break
                if polls >= MAX_POLLS or call.out_of_time(delay + _POLL_MARGIN):
                    raise self._not_ready(call, request, title, url, status)
                await anyio.sleep(delay)
                delay = min(delay * 2, LAST_WAIT)
            followed.append((job_id, job))
            if status != "success":
                words = messages.report_job_failed(title, request.id, status, quote(job.error, 200))
                raise ToolError(ErrorCode.BACKEND_ERROR, words)
        return followed, polls

    @staticmethod
    def _not_ready(call: Call, request: ReportRequest, title: str, url: str | None, status: str) -> ToolError:
        words = messages.report_not_ready(title, request.id, url, status, call.deadline_s)
        return ToolError(ErrorCode.BACKEND_TIMEOUT, words)

    # -- the figures and their cross-check ---------------------------------------------------------------

    async def _figures(self, call: Call, result: Record | None, data: dict[str, Any]) -> str:
        """The report's figures into ``data``, checked against the period's invoices; the words."""
        kind = call["report_type"]
        words = ""
        vat = vat_figures(result) if result is not None and kind == "vat" else None
        if vat is not None:
            figures, missing, inconsistent = vat
            data |= {"source": "report", "figures": figures}
            data |= {"missing": missing} if missing else {}
            data |= {"inconsistent": inconsistent} if inconsistent else {}
            words += messages.REPORT_FIGURES + messages.report_fields_missing(missing, inconsistent)
        elif result is not None:
            data |= {"source": "report", "figures": flat_figures(result)}
            words += messages.OTHER_FIGURES
        if kind == "pit":
            return words + (messages.NO_PIT_FIGURES if result is None else messages.NOTHING_TO_CHECK)
        first, last = (day.isoformat() for day in period_days(call["period"]))
        try:
            sides = await invoice_sides(self, _continued(call, data["polls"]), call["entity_id"], first, last)
        except (ToolError, ApiError) as exc:
            why = exc.message if isinstance(exc, ToolError) else messages.tool_error(exc).message
            data["cross_check"] = {"made": False}
            return (
                words + (messages.NO_FIGURES if result is None else "") + messages.cross_check_not_made(why)
            )
        other = sum(side.other_currencies for side in sides.values())
        complete = all(side.complete and not side.lacking for side in sides.values())
        if result is None:
            data |= {"source": "invoices", "figures": invoice_figures(sides, vat=kind == "vat")}
            return words + messages.NO_REPORT_FIGURES + messages.cross_check_words([], other, complete)
        if kind == "vat" and vat is None:
            data["invoice_figures"] = invoice_figures(sides, vat=True)
            words += messages.VAT_NAMES_UNREAD
        checks, lines = self._checks(kind, result, sides, vat is not None)
        data["cross_check"] = {"made": True, **checks}
        return words + messages.cross_check_words(lines, other, complete)

    @staticmethod
    def _checks(
        kind: str, result: Record, sides: dict[str, InvoiceSide], vat: bool
    ) -> tuple[dict[str, Any], list[str]]:
        checks: dict[str, Any] = {}
        lines: list[str] = []
        if kind == "vat" and vat:
            for side, direction in SIDES.items():
                for field, key, label in (("tax_amount", "tax", "tax"), ("amount", "net", "amount")):
                    row = compare(_part_amount(result, (side, field)), sides[direction], key)
                    checks[f"{side}_{label}"] = row
                    if label == "tax" or row["result"] in ("differs", "not_checkable"):
                        lines.append(messages.side_check(f"{side} {label}", direction, row))
        for name, (path, direction, field) in _CHECKABLE.get(kind, {}).items():
            row = compare(_part_amount(result, path), sides[direction], field)
            checks[name] = row
            lines.append(messages.side_check(name, direction, row))
        return checks, lines

    # -- the books ---------------------------------------------------------------------------------------

    async def get_trial_balance(self, call: Call) -> dict[str, Any]:
        entity_id, first, last = call["entity_id"], call["date_from"], call["date_to"]
        balance = await self.client.trial_balance(entity_id, from_date=first, to_date=last)
        shown, lacking = trial_balance_data(balance)
        data: dict[str, Any] = {"date_from": first, "date_to": last, **shown}
        message = messages.trial_balance_words(shown["checks"], lacking)
        try:
            sides = await invoice_sides(self, _continued(call, 0), entity_id, first, last)
        except ToolError as exc:
            return {"message": message + messages.cross_check_not_made(exc.message), "data": data}
        except ApiError as exc:
            why = messages.tool_error(exc).message
            return {"message": message + messages.cross_check_not_made(why), "data": data}
        data["vat_accounts"] = vat_accounts(balance, sides)
        other = sum(side.other_currencies for side in sides.values())
        complete = all(side.complete and not side.lacking for side in sides.values())
        message += messages.vat_accounts_words(data["vat_accounts"])
        message += messages.cross_check_words([], other, complete) if other or not complete else ""
        return {"message": message, "data": data}

    async def get_general_ledger(self, call: Call) -> dict[str, Any]:
        entity_id, account = call["entity_id"], call["account"]
        try:
            page = await self.client.general_ledger(
                entity_id,
                account=account,
                from_date=call["date_from"],
                to_date=call["date_to"],
                page=call["page"],
                per_page=call["page_size"],
            )
        except NotFound:
            raise ToolError(ErrorCode.NOT_FOUND, messages.account_not_found(account, entity_id)) from None
        data, has_balances = ledger_data(page, account, call["page"], call["page_size"])
        data = {"date_from": call["date_from"], "date_to": call["date_to"], **data}
        words = messages.ledger_words(account, len(data["lines"]), data["total"], has_balances)
        return {"message": words, "data": data}
