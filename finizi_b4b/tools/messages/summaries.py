"""Summaries, batch imports and the line a client shows before a write."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from finizi_b4b.tools.messages.api_errors import _names

if TYPE_CHECKING:
    from finizi_b4b.einvoice_xml import ParsedInvoice
    from finizi_b4b.tools.import_checks import Existing


def too_many_invoices(matching: int | None, cap: int) -> str:
    """Why a summary was refused: more invoices match than it adds up."""
    found = f"{matching:,} invoices match" if matching is not None else f"More than {cap:,} invoices match"
    return (
        f"{found}; a summary adds up at most {cap:,}, and a partial sum would be a wrong total, so none "
        "was made. Narrow the question (a shorter date_from..date_to period, a direction, status or "
        "vendor_id) and combine the answers, e.g. one call per quarter."
    )


def batch_summary(files: int, counts: dict[str, int], preview: bool) -> str:
    """The first line of a batch's result: how many files had each outcome."""
    said = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n)
    if preview:
        text = f"Previewed {files} file(s): {said}. Nothing was uploaded."
    else:
        text = f"{files} file(s): {said}."
    if counts.get("not_reached"):
        text += (
            " The call's time limit came before the files not reached were read"
            + ("" if preview else " or uploaded")
            + "; call again with those files."
        )
    if counts.get("in_finizi"):
        text += (
            " in finizi: an upload's answer was lost and its retry was refused as a duplicate, so the "
            "first upload most likely imported it."
        )
    if counts.get("possibly_imported"):
        text += (
            " possibly imported: the entity has an invoice with the same series and number, and the API's "
            "list does not say its seller; check it with get_invoice before importing."
        )
    return text


def imported(label: str, invoice_id: str | None, *, answer_named_it: bool) -> str:
    """What a single import says when the upload was accepted."""
    if answer_named_it:
        return f"Invoice {label} imported."
    if invoice_id is not None:
        return f"Invoice {label} imported (id {invoice_id}, found by its series and number)."
    return (
        f"Invoice {label} was accepted by the API, whose answer did not name the new invoice, and a look-up "
        "by series and number did not find it yet (it may still be processing). Check with list_invoices "
        "and invoice_series, invoice_number in a moment; do not import it again."
    )


def in_finizi_after_retry(label: str, invoice_id: str | None) -> str:
    """A 409 after the upload was sent again (its first answer was lost)."""
    where = f" (id {invoice_id})" if invoice_id else ""
    text = (
        f"Invoice {label} is in Finizi{where}. The first upload's answer was lost on the way and the retry "
        "was refused as a duplicate, so the first upload most likely imported it (it may also have been "
        "imported before). Do not import it again."
    )
    if invoice_id is None:
        text += " A look-up by series and number did not find it yet: check with list_invoices in a moment."
    return text


def preview(
    parsed: ParsedInvoice, direction: str | None, entity_tax_id: str | None, existing: Existing | None
) -> str:
    """The sentence of an import preview."""
    label = f"{parsed.series}/{parsed.number}"
    if entity_tax_id is None:
        return (
            f"Invoice {label} could not be checked against the entity: the API's entity list gives no tax id "
            f"for it, so whether the seller ({parsed.seller.tax_id}) or the buyer "
            f"({parsed.buyer.tax_id or 'no tax id'}) is this entity is unknown. Nothing was uploaded."
        )
    if direction is None:
        return (
            f"Invoice {label} names neither seller ({parsed.seller.tax_id}) nor buyer "
            f"({parsed.buyer.tax_id or 'no tax id'}) as this entity (tax id {entity_tax_id}); "
            "importing it would be refused. Nothing was uploaded."
        )
    if existing is not None and existing.certain:
        return (
            f"Invoice {label} is already imported (id {existing.invoice_id}); importing it again is refused."
        )
    if existing is not None:
        return (
            f"Invoice {label} may already be imported: invoice {existing.invoice_id} has the same series and "
            "number, and the API's list does not say its seller. Check it with get_invoice before importing. "
            "Nothing was uploaded."
        )
    return f"Invoice {label} can be imported as a {direction} invoice. Nothing was uploaded."


def out_of_time(tool: str, budget: float) -> str:
    """What a call gets when it ran past its deadline and was stopped."""
    return (
        f"{tool} did not finish within the call's time limit ({budget:g} s, FINIZI_B4B_CALL_DEADLINE) and "
        "was stopped. Try again, or ask for less at a time."
    )


def summary_out_of_time(read: int, reported: int | None, budget: float | None) -> str:
    """Why a summary was refused: the deadline came before every invoice was read."""
    of = f" of {reported:,}" if reported is not None else ""
    limit = f" ({budget:g} s)" if budget else ""
    return (
        f"The summary could not be finished within the call's time limit{limit}: {read:,}{of} invoices "
        "were read, and a partial sum would be a wrong total, so none is given. Narrow the question (a "
        "shorter date_from..date_to period, a direction, status or vendor_id) and combine the answers."
    )


ALL_TIME_STATISTICS = (
    "All-time statistics, as the API's statistics summary gives them (it takes no period). "
    "For a period, give date_from and date_to: those figures are computed from the invoice list."
)


def period_statistics(period: dict[str, str], source: str, complete: bool) -> str:
    """What the statistics of a period are made from."""
    span = f"{period.get('date_from', 'the first invoice')} to {period.get('date_to', 'today')}"
    made = "the API's sums over the invoice list" if source == "aggregations" else "every invoice listed"
    text = f"Statistics of invoices issued {span}, computed from {made} (cancelled ones counted, not summed)."
    if not complete:
        text = "INCOMPLETE: the invoice list could not be read whole (see coverage); " + text
    return text


def _dotted(value: Decimal) -> str:
    """An amount as written in Vietnam: ``123.456.789`` (and a decimal comma, when there are decimals)."""
    whole = f"{int(value):,}".replace(",", ".")
    fraction = abs(value) - abs(int(value))
    return whole if not fraction else whole + "," + format(fraction.normalize(), "f")[2:]


def _entity_words(name: str | None, tax_id: str | None, entity_id: str) -> str:
    label = name or f"entity {entity_id}"
    return f"{label} (MST {tax_id})" if tax_id else label


def confirm_import(
    count: int, totals: dict[str, Decimal], unusable: int, entity: tuple[str | None, str | None, str]
) -> str:
    """The one line a user confirms before invoices are imported."""
    what = f"{count} e-invoice{'s' if count != 1 else ''}"
    money = ", ".join(f"{_dotted(total)} {currency}" for currency, total in totals.items())
    line = f"Import {what}" + (f", total {money}," if money else "") + f" into {_entity_words(*entity)}?"
    if unusable:
        line += f" ({unusable} other file{'s are' if unusable != 1 else ' is'} not a usable e-invoice and "
        line += "will not be sent.)"
    return line


def confirm_create(name: str | None, tax_id: str | None) -> str:
    return (
        f"Create the company {name or '(no name)'}" + (f" (MST {tax_id})" if tax_id else "") + " in Finizi?"
    )


def confirm_update(fields: Iterable[str], entity: tuple[str | None, str | None, str]) -> str:
    return f"Change {_names(fields)} of {_entity_words(*entity)} in Finizi?"


def _phone_shown(phone: str | None) -> str:
    """A phone number with its middle hidden: ``+84909…665``."""
    if not phone:
        return "the current account"
    return phone[:6] + "…" + phone[-3:] if len(phone) > 9 else phone


def confirm_switch(current: str | None, new: str) -> str:
    return f"Switch the Finizi account from {_phone_shown(current)} to {_phone_shown(new)}?"
