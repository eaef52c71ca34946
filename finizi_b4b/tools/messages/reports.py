"""Reports: the VAT report, its upload to HTKK, the trial balance and the general ledger."""

from __future__ import annotations

from decimal import Decimal

from finizi_b4b.errors import ToolError
from finizi_b4b.tools.messages.summaries import _entity_words

REPORT_NAMES = {"vat": "VAT report", "pit": "PIT report", "cit": "CIT report", "bctc": "financial statements"}


def _vnd(value: Decimal) -> str:
    from finizi_b4b.api.money import amount_text

    return f"{amount_text(value)} VND"


def report_title(report_type: str, period: str) -> str:
    return f"{REPORT_NAMES.get(report_type, report_type)} for {period}"


def report_job_progress(status: str, poll: int) -> str:
    return f"Report job {status} (poll {poll})"


def _report_kept(report_id: str, url: str | None) -> str:
    link = f" and its download link {url}" if url else ""
    return f"the report id is {report_id}{link}"


def report_not_ready(title: str, report_id: str, url: str | None, status: str, budget: float | None) -> str:
    """Polling stopped at the call's deadline; the report may still be made."""
    limit = f" ({budget:g} s, FINIZI_B4B_CALL_DEADLINE)" if budget else ""
    return (
        f"The {title} was requested, but its job was still {status} when the call's time limit{limit} came, "
        f"so the server stopped waiting. Nothing is lost: {_report_kept(report_id, url)}. Download it there "
        "later; asking again generates a new report."
    )


def report_poll_failed(error: ToolError, title: str, report_id: str, url: str | None) -> ToolError:
    """A failure while following the job of a report that was requested: the error, naming the report."""
    error.message += (
        f" The {title} was requested and may still be made: {_report_kept(report_id, url)}; check the link "
        "later rather than asking for a new report."
    )
    return error


def report_job_failed(title: str, report_id: str, status: str, said: str | None) -> str:
    how = "was revoked (cancelled) on the API's side" if status == "revoked" else "failed"
    words = f" The API said: {said.rstrip('.')}." if said else ""
    return (
        f"The {title} was not generated: its job {how}.{words} Report id {report_id}. Check the period's "
        "invoices and try again; nothing was declared."
    )


def report_done(title: str, statuses: list[str], htkk: bool, url: str | None) -> str:
    ended = (
        f"job {', '.join(statuses)}"
        if statuses
        else "the API queued no job to follow, so it may not be ready"
    )
    where = f" Download: {url}." if url else " The API gave no download link."
    sent = " It was generated with upload_htkk, for the API to send to HTKK." if htkk else ""
    return f"{title[0].upper()}{title[1:]}: {ended}.{where}{sent}"


REPORT_FIGURES = (
    " The figures are the report's, read by field names the API does not document (assumed: output, input, "
    "amount, tax_amount, by_rate, payable); they are checked below."
)
OTHER_FIGURES = " The figures are the report's numeric fields as the API named them."
NO_REPORT_FIGURES = (
    " The job's answer carried no figures, so those below are computed from the period's invoices "
    "(issued, validated or paid; drafts counted apart), not the report's."
)
NO_FIGURES = " The job's answer carried no figures."
NO_PIT_FIGURES = " The job's answer carried no figures, and invoices hold nothing to compute PIT from."


def report_fields_missing(missing: list[str], inconsistent: list[str]) -> str:
    text = ""
    if missing:
        text += f" The report lacks {', '.join(missing)}: no figure was put in their place."
    if inconsistent:
        text += f" Within the report, {', '.join(inconsistent)} do not add up: read its figures with care."
    return text


def side_check(what: str, direction: str, row: dict) -> str:
    """One line of a cross-check: a report's figure (``what``) against the period's invoices."""
    invoices = Decimal(str(row["invoices"]))
    of = f"the {direction} invoices' ({_vnd(invoices)}, {row['count']} invoices, cancelled left out)"
    result = row["result"]
    if result == "not_checkable":
        return f"{what}: not in the report, so not checked against {of}."
    if result == "agrees":
        return f"{what} agrees with {of}."
    difference = Decimal(str(row["difference"]))
    text = f"{what} differs from {of} by {_vnd(difference)}"
    if result == "drafts":
        drafts = row["drafts"]
        return text + f": exactly the {drafts['count']} draft invoice(s), not declared until issued."
    return text + "; look for invoices issued late, re-dated or in another period."


def cross_check_words(lines: list[str], other_currencies: int, complete: bool) -> str:
    text = (" Cross-check against the period's invoices: " + " ".join(lines)) if lines else ""
    if other_currencies:
        text += f" {other_currencies} invoice(s) in other currencies were left out of the invoices' figures."
    if not complete:
        text = (
            " INCOMPLETE: the invoice list could not be read whole, or some invoices lacked an amount (see "
            "the summaries), so the invoices' figures cover only what was read." + text
        )
    return text


VAT_NAMES_UNREAD = (
    " The report holds no output or input under the assumed names, so it cannot be checked; invoice_figures "
    "are computed from the period's invoices (issued, validated or paid; drafts counted apart)."
)


def cross_check_not_made(why: str) -> str:
    return f" The cross-check against the invoices could not be made: {why}"


NOTHING_TO_CHECK = " PIT is not checked: invoices hold no payroll."


def confirm_htkk(report_type: str, period: str, entity: tuple[str | None, str | None, str]) -> str:
    """The one line a user confirms before a report is generated and sent to HTKK."""
    title = report_title(report_type, period)
    return f"Generate the {title} of {_entity_words(*entity)} and send it to HTKK?"


_BALANCE_CHECKS = (
    ("period_balanced", "period debits equal credits"),
    ("closing_balanced", "closing debit balances equal credit balances"),
)


def trial_balance_words(checks: dict, lacking: int) -> str:
    said = []
    for key, label in _BALANCE_CHECKS:
        value = checks.get(key)
        said.append(f"{label}: {'yes' if value else 'NO' if value is False else 'unknown'}")
    text = "Trial balance, balances signed (debit +, credit -), checked from its rows: " + "; ".join(said)
    text += "."
    if lacking:
        text += f" {lacking} row(s) lacked a figure, so those sums are not a check."
    if checks.get("api_totals_agree") is False:
        text += " The API's own totals differ from the sums of its rows."
    return text


def vat_accounts_words(rows: dict[str, dict]) -> str:
    said = []
    for code, row in rows.items():
        if row.get("agrees") is None:
            continue
        side = "debit" if "debit" in row else "credit"
        booked = row.get(side)
        shown = "not listed" if booked is None else _vnd(Decimal(str(booked)))
        tax = _vnd(Decimal(str(row["invoice_tax"])))
        verdict = "agrees with" if row["agrees"] else "DIFFERS from"
        said.append(f"{code} {side} movement ({shown}) {verdict} the invoices' tax ({tax})")
    if not said:
        return ""
    return " " + "; ".join(said) + " (invoices issued, validated or paid, as the journal books them)."


def account_not_found(account: str, entity_id: str) -> str:
    return (
        f"Account {account} is not in the chart of accounts of entity {entity_id}, or the entity is not "
        "accessible with your account. get_trial_balance lists the accounts with entries (1331, 331, ...)."
    )


def ledger_words(account: str, shown: int, total: int | None, has_balances: bool) -> str:
    of = f" of {total}" if total is not None else ""
    text = f"General ledger of account {account}: {shown}{of} lines on this page."
    if not has_balances:
        text += " The API sent no opening or closing balance or period totals for it."
    return text + " Descriptions are text written in the books (counterparty names come from invoices)."
