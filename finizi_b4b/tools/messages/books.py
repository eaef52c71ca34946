"""The registry, payments, VAT rates and the sums beside a list of invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.money import amount_text
from finizi_b4b.tools.messages.api_errors import _said
from finizi_b4b.tools.messages.summaries import _dotted, _entity_words

if TYPE_CHECKING:
    from finizi_b4b.api.registry import Company as RegistryCompany
    from finizi_b4b.tools.paid import PaidBasis, PaymentScope


_OTHERS_TEXT = " The name and address are the registry's data, written by others."


def _money(amounts: dict[str, Decimal]) -> str:
    """Amounts per currency in words: ``1,716,000 VND`` (``and`` between currencies)."""
    shown = [f"{amount_text(value)} {currency}" for currency, value in sorted(amounts.items()) if value]
    return " and ".join(shown) or "0"


def registry_unknown(tax_id: str) -> str:
    return (
        f"The company registry does not know the tax id {tax_id}: it has no company registered under it "
        "(HTTP 404). Check the number (a branch has its own -NNN tax id); an invoice from a seller the "
        "registry does not know deserves a closer look before its input VAT is deducted."
    )


def company_found(tax_id: str, company: RegistryCompany) -> str:
    text = f"The company registry's record of {tax_id}: {company.name or '(no name given)'}"
    text += f", {company.address}." if company.address else " (no address given)."
    if company.is_branch and company.parent_tax_code:
        text += f" It is a branch of {company.parent_tax_code}."
    if "status" not in company.raw:
        text += " The registry's answer gives no taxpayer status: do not state one."
    return text + _OTHERS_TEXT


def supplier_progress(what: str, done: int, total: int | None) -> str:
    if what == "purchase invoices":
        return f"Read {done} of {total if total is not None else 'the'} purchase invoices"
    if what == "vendors":
        return f"Found the tax id of {done} of {total} vendors"
    return f"Checked {done} of {total} suppliers with the registry"


def suppliers_out_of_time(read: int, reported: int | None, budget: float | None) -> str:
    of = f" of {reported:,}" if reported is not None else ""
    limit = f" ({budget:g} s)" if budget else ""
    return (
        f"The purchase invoices could not all be read within the call's time limit{limit}: {read:,}{of} "
        "were read, and a check of part of the suppliers would look complete, so none is given. Check a "
        "shorter period (date_from..date_to) at a time."
    )


def too_many_purchases(matching: int | None, cap: int) -> str:
    found = (
        f"{matching:,} purchase invoices" if matching is not None else f"More than {cap:,} purchase invoices"
    )
    return (
        f"{found} fall in this period; a supplier check reads at most {cap:,}. Check a shorter period "
        "(date_from..date_to) at a time, e.g. one quarter per call."
    )


_NOT_CHECKED = {
    "time": "the call's time limit came first (check again, or a shorter period)",
    "no_tax_id": "no tax id on the invoices or the vendor record",
    "vendor_not_found": "the invoice's vendor record was not found",
    "no_registry_name": "the registry's record gives no name to compare",
}


def supplier_check(period: dict[str, str], data: dict[str, Any], vat: dict[str, dict[str, Decimal]]) -> str:
    """What a supplier check found, in words; ``vat`` is the input VAT of the unknown and renamed ones."""
    text = ""
    coverage = data.get("coverage")
    if coverage is not None:
        text = (
            f"INCOMPLETE: only {coverage['read']:,} purchase invoices could be read of the "
            f"{coverage['reported'] or 'unknown number'} the API reported; suppliers of the others are "
            "missing. "
        )
    span = f"{period['date_from']} to {period['date_to']}"
    text += (
        f"{data['suppliers']} supplier(s) on {data['invoices']} purchase invoice(s) issued {span}; "
        f"{data['checked']} checked with the company registry: {data['confirmed']} confirmed"
    )
    unknown, renamed = data["unknown"], data["renamed"]
    text += (
        f", {len(unknown)} unknown to the registry"
        + (f" (input VAT {_money(vat['unknown'])})" if unknown else "")
        + f", {len(renamed)} named otherwise by the registry"
        + (
            f" (input VAT {_money(vat['renamed'])}; differs says whether only the legal form does)"
            if renamed
            else ""
        )
        + "."
    )
    if data["not_checked"]:
        reasons = sorted({entry["reason"] for entry in data["not_checked"]})
        said = "; ".join(_NOT_CHECKED.get(r, f"a failure ({r.removeprefix('error:')})") for r in reasons)
        text += f" {len(data['not_checked'])} not checked (see not_checked): {said}."
    if data["cancelled_left_out"]:
        text += f" {data['cancelled_left_out']} cancelled invoice(s) left out."
    if data.get("without_currency"):
        text += f" {data['without_currency']} invoice(s) came without a currency; their VAT was taken as VND."
    if data.get("without_vat"):
        text += f" {data['without_vat']} invoice(s) came without a tax amount; they add no input VAT."
    return text + " Names are as invoice issuers and the registry wrote them (data written by others)."


def _amount_of(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def invoice_payments(data: dict[str, Any]) -> str:
    currency, count = data["currency"], data["payment_count"]
    text = f"Invoice {data['invoice']}: {count} payment(s)"
    paid, left, total = (_amount_of(data[k]) for k in ("paid", "outstanding", "total"))
    if paid is None or total is None:
        missing = "its total" if total is None else "the amount of a payment"
        text += f"; what is paid and left cannot be computed, as the API gave no {missing}."
    else:
        state = str(data["payment_status"]).replace("_", " ")
        text += (
            f", {amount_text(paid)} {currency} paid of {amount_text(total)}, "
            f"{amount_text(left or Decimal(0))} {currency} outstanding ({state}). Computed here from the "
            "invoice's total and its payments that are not cancelled (basis payments)."
        )
    figures = data.get("api_figures")
    if figures and not figures["agree"]:
        theirs = ", ".join(
            f"{k.replace('_', ' ')} {figures[k]}"
            for k in ("paid_amount", "outstanding_amount")
            if k in figures
        )
        text += f" The API's own figures differ ({theirs}): the figures above are the ones computed here."
    elif figures:
        text += " The API's own figures agree."
    if count > len(data["payments"]):
        text += f" The first {len(data['payments'])} are listed."
    return text


def confirm_payment(
    amount: Decimal,
    currency: str,
    label: str,
    counterparty: str | None,
    entity: tuple[str | None, str | None, str],
) -> str:
    """The one line a user confirms before a payment is recorded."""
    of = f" of {counterparty}" if counterparty else ""
    where = _entity_words(*entity)
    return f"Record a payment of {_dotted(amount)} {currency} for invoice {label}{of} in {where}?"


def payment_conflict(label: str, status: str | None, exc: ApiError) -> str:
    state = f" is {status}" if status else " is in a state that"
    return (
        f"Invoice {label}{state} and cannot be paid: the API refused the payment as a conflict.{_said(exc)} "
        "Only an issued or validated invoice takes payments (a draft or a cancelled one does not). Nothing "
        "was recorded."
    )


def payment_refused(label: str, amount: Decimal, currency: str, exc: ApiError) -> str:
    return (
        f"The API refused the payment of {amount_text(amount)} {currency} for invoice {label}.{_said(exc)} "
        "It refuses an amount over what is left to pay, and a date before the invoice's issue date: "
        "list_invoice_payments shows what is outstanding. Nothing was recorded."
    )


def payment_recorded(data: dict[str, Any]) -> str:
    currency, paid = data["currency"], Decimal(str(data["amount"]))
    text = f"Recorded a payment of {amount_text(paid)} {currency} for invoice {data['invoice']}."
    left = _amount_of(data.get("outstanding"))
    if data["basis"] == "answer":
        if data.get("invoice_status"):
            text += f" The API says the invoice is now {data['invoice_status']}"
            text += f", with {amount_text(left)} {currency} outstanding." if left is not None else "."
        elif left is not None:
            text += f" The API says {amount_text(left)} {currency} is outstanding."
    else:
        state = data.get("payment_status")
        words = {"paid": "now paid in full", "partly_paid": "partly paid", "unpaid": "still unpaid"}
        text += " The API's answer said nothing of the invoice; its payments say it is "
        text += f"{words.get(state, 'of unknown payment status')}"
        text += f" ({amount_text(left)} {currency} outstanding)." if left is not None else "."
    return text


def payments_out_of_time(read: int) -> str:
    return (
        f"The entity's payments could not all be read within the call's time limit ({read:,} were read), "
        "and a payment status from part of them would be wrong, so no summary is given. Try again, or ask "
        "without payment_status."
    )


def too_many_payments(cap: int) -> str:
    return (
        f"The entity has more than {cap:,} payments; a payment status is told from at most that many, so no "
        "summary is given. Ask without payment_status, or with status='paid' for the invoices marked paid."
    )


_STATUS_BASIS_WHY = {
    "not_served": "the API does not serve the entity's payment list",
    "no_invoice_link": "the API's payments do not say which invoice they pay",
    "no_amount": "a payment in the API's list has no amount",
    "payments_incomplete": "the API's payment pages held fewer payments than it reported",
}


def _status_basis_why(basis: PaidBasis) -> str:
    return _STATUS_BASIS_WHY.get(basis.why or "", "the payments could not be read per invoice")


def partly_paid_unknown(basis: PaidBasis) -> str:
    return (
        "Partly paid invoices cannot be told apart here: "
        + _status_basis_why(basis)
        + ", so whether an invoice is paid comes from its status alone (paid or not). Ask for "
        "payment_status='unpaid' (invoices not marked paid, partly paid ones among them) instead."
    )


def payment_basis_note(scope: PaymentScope) -> str:
    """What a summary says of the basis its payment status rests on."""
    basis = scope.basis
    if basis.basis == "payments":
        text = (
            " Payment status from payments (payment_basis): each invoice's total against the sum of its "
            f"payments that are not cancelled ({basis.read:,} payments read)."
        )
        if basis.without_status:
            text += f" {basis.without_status} payment(s) carry no status and were counted as made."
    else:
        text = (
            f" Payment status from the invoice status (payment_basis status), as {_status_basis_why(basis)}: "
            "paid means marked paid; unpaid means not marked paid, and includes partly paid invoices."
        )
    if scope.unknown:
        text += f" {scope.unknown} invoice(s) have no total, so their payment status is unknown."
    return text


def vat_rates_unread(count: int) -> str:
    return (
        f"{count} product(s) carry a vat_rate that is not a fraction between 0 and 1, the form this server "
        "reads it in, so it is shown as null: get_invoice shows the rates on invoice lines. Every VAT rate "
        "here is in percent (8 for 8 %)."
    )


def line_rates_were_fractions(count: int) -> str:
    return (
        f"{count} line(s) carried vat_rate as a fraction (such as 0.08), not in percent as invoice lines "
        "usually do; they are shown in percent (8), as every VAT rate here is."
    )


LIST_SUMS_LEFT_OUT = (
    "The API sent sums over the matching invoices (total_amount, aggregations) that contradict each other "
    "or the count, so they were left out; summarize_invoices adds up the invoices themselves."
)


def list_sums_unchecked(total: int) -> str:
    return (
        f"total_amount is the API's own sum over all {total} matching invoice(s), shown as it was sent: "
        "nothing beside it could check it. summarize_invoices adds up the invoices themselves."
    )
