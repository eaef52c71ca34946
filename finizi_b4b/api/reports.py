"""The API's reports and books (contract part B1): tax reports and their jobs, the trial balance, the ledger.

:class:`ReportCalls` is a mixin of :class:`~finizi_b4b.api.client.B4BClient`,
one method per endpoint, each through the client's one ``_call``. Its records
are thin views over the answers, tolerant of both shapes the books may come in:

- a tax report request answers ``id``, ``download_url`` and ``queued_jobs``
  (ledger B1, read by the company's client); the job answers ``status`` (the one
  field the company's client reads) and, on an API that sends them, ``result``
  (the report's figures: field names assumed) and ``error``;
- a trial balance answers ``accounts`` (opening, period and closing debit and
  credit columns) or ``items`` (signed ``opening_balance`` and
  ``closing_balance``, ``debit`` and ``credit``): :class:`BalanceRow` reads both
  as signed balances, debit minus credit;
- a general ledger page holds ``items`` (lines), and where sent the account's
  opening and closing balance and the period's movements.

A job id goes into a path, so one that is not a plain token is a bad answer.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from finizi_b4b.api import fields
from finizi_b4b.api.errors import Subject
from finizi_b4b.api.fields import API
from finizi_b4b.api.records import Identified, Page, Record, bad_record
from finizi_b4b.api.transport import ApiRequest

__all__ = [
    "JOB_ENDS",
    "BalanceRow",
    "Job",
    "LedgerLine",
    "LedgerPage",
    "ReportCalls",
    "ReportRequest",
    "TrialBalance",
]

# A job's status at its end (dispatch_job reads these three; "failure" is Celery's own word).
JOB_ENDS = frozenset({"success", "failed", "failure", "revoked"})
_JOB_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._:-]{0,127}")


def _job_id(value: Any) -> str | None:
    """A queued job's id: a plain string (or an object's ``id`` or ``job_id``), else None."""
    if isinstance(value, dict):
        value = value.get("job_id", value.get("id"))
    if type(value) is int and value > 0:
        value = str(value)
    return value if type(value) is str and _JOB_ID.fullmatch(value) else None


@attrs.frozen
class ReportRequest(Identified):
    """The answer to a report request: the report's id, its download link and the jobs making it."""

    what: ClassVar[str] = "tax report answer"

    @property
    def download_url(self) -> str | None:
        return fields.text(self.raw.get("download_url")) or None

    @property
    def job_ids(self) -> list[str]:
        """The queued jobs' ids; a queued job that is not a plain id is a bad answer."""
        jobs = self.raw.get("queued_jobs")
        if jobs is None:
            return []
        if type(jobs) is not list:
            raise bad_record(self.what, "wrong_shape", field="queued_jobs")
        found = [_job_id(job) for job in jobs]
        if None in found:
            raise bad_record(self.what, "wrong_shape", field="queued_jobs")
        return [job for job in found if job is not None]


@attrs.frozen
class Job(Record):
    """A background job as ``GET /celery/jobs/{id}`` shows it; ``status`` is required."""

    what: ClassVar[str] = "job"

    @classmethod
    def of(cls, data: Any) -> Job:
        job = super().of(data)
        if not isinstance(data.get("status"), str) or not data["status"].strip():
            raise bad_record(cls.what, "missing" if "status" not in data else "wrong_shape", field="status")
        return job

    @property
    def status(self) -> str:
        return str(self.raw["status"]).strip().lower()

    @property
    def ended(self) -> bool:
        return self.status in JOB_ENDS

    @property
    def result(self) -> Record | None:
        """The job's result (for a report: its figures), when the API sent one as an object."""
        value = self.raw.get("result")
        return Record(value) if type(value) is dict else None

    @property
    def error(self) -> str | None:
        value = self.raw.get("error")
        return value if type(value) is str and value.strip() else None


def _signed(row: Record, net: str, debit: str, credit: str) -> Decimal | None:
    """A balance, debit minus credit: the signed field, else its two columns."""
    value = row.amount(net)
    if value is not None:
        return value
    left, right = row.amount(debit), row.amount(credit)
    if left is None and right is None:
        return None
    return (left or Decimal(0)) - (right or Decimal(0))


@attrs.frozen
class BalanceRow(Record):
    """One account of a trial balance, in either shape; balances signed (debit plus, credit minus)."""

    what: ClassVar[str] = "trial balance row"

    @property
    def code(self) -> str | None:
        value = self.raw.get("account_code")
        return str(value) if type(value) in (str, int) and str(value) else None

    @property
    def name(self) -> str | None:
        return fields.text(self.raw.get("account_name"))

    @property
    def opening(self) -> Decimal | None:
        return _signed(self, "opening_balance", "opening_debit", "opening_credit")

    @property
    def debit(self) -> Decimal | None:
        found = self.amount("period_debit")
        return found if found is not None else self.amount("debit")

    @property
    def credit(self) -> Decimal | None:
        found = self.amount("period_credit")
        return found if found is not None else self.amount("credit")

    @property
    def closing(self) -> Decimal | None:
        return _signed(self, "closing_balance", "closing_debit", "closing_credit")


@attrs.frozen
class TrialBalance(Record):
    """A trial balance: its rows under ``accounts`` (or ``items``), and what else the API sent."""

    what: ClassVar[str] = "trial balance"

    @classmethod
    def of(cls, data: Any) -> TrialBalance:
        balance = super().of(data)
        rows = data.get("accounts", data.get("items"))
        if type(rows) is not list:
            raise bad_record(cls.what, "missing" if rows is None else "wrong_shape", field="accounts")
        if any(type(row) is not dict for row in rows):
            raise bad_record(cls.what, "wrong_shape", field="accounts")
        return balance

    @property
    def rows(self) -> list[BalanceRow]:
        return [BalanceRow(row) for row in self.raw.get("accounts", self.raw.get("items"))]


@attrs.frozen
class LedgerLine(Record):
    what: ClassVar[str] = "general ledger line"


@attrs.frozen
class LedgerPage(Page[LedgerLine]):
    """A page of an account's ledger lines, with its opening and closing balance where sent."""

    what: ClassVar[str] = "general ledger"


class ReportCalls:
    """The report and book endpoints of :class:`~finizi_b4b.api.client.B4BClient`."""

    if TYPE_CHECKING:

        async def _call(self, request: ApiRequest, subject: Subject) -> Any: ...

    async def generate_tax_report(
        self, entity_id: str, *, report_type: str, period: str, upload_htkk: bool
    ) -> ReportRequest:
        """Ask for a report of ``period`` (``YYYY-MM`` or ``YYYY-Qn``); it is made by a job."""
        body = {"report_type": report_type, "period": period, "upload_htkk": upload_htkk}
        request = ApiRequest("POST", f"{API}/entities/{entity_id}/tax-reports/generate", json=body)
        return ReportRequest.of(await self._call(request, Subject("tax_report", (entity_id,))))

    async def job(self, job_id: str) -> Job:
        """A background job's state (``job_id`` as a report request named it)."""
        request = ApiRequest("GET", f"{API}/celery/jobs/{job_id}")
        return Job.of(await self._call(request, Subject("job", (job_id,))))

    async def trial_balance(self, entity_id: str, *, from_date: str, to_date: str) -> TrialBalance:
        query = (("from_date", from_date), ("to_date", to_date))
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/journal/gl/trial-balance", query)
        return TrialBalance.of(await self._call(request, Subject("trial_balance", (entity_id,))))

    async def general_ledger(
        self, entity_id: str, *, account: str, from_date: str, to_date: str, page: int, per_page: int
    ) -> LedgerPage:
        query = (
            ("account", account),
            ("from_date", from_date),
            ("to_date", to_date),
            ("page", str(page)),
            ("per_page", str(per_page)),
        )
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/general-ledger", query)
        body = await self._call(request, Subject("general_ledger", (account, entity_id)))
        page_read = LedgerPage.read(body, LedgerLine)
        assert isinstance(page_read, LedgerPage)
        return page_read
