"""What importing an invoice would do, found out without uploading it: whose it is, and whether it is in.

- The entity's tax id comes from the user's entity list asked for with
  ``detailed=true`` (the API documents that this is what includes tax ids;
  ``GET /entities/{id}`` is an assumed path).
- An invoice is already imported when the entity has one with the same series,
  number (without leading zeros) and seller. List items are not known to carry
  the seller's tax id (ledger row 44), so the seller is matched by the best
  evidence an item has: its ``seller_tax_id``; else its direction, for a sale
  (the seller is the entity itself); else its ``vendor_id`` against the vendor
  the API finds for the seller's tax id; else its seller or vendor name. An
  item with none of these is reported as a possible copy, never as new.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

import attrs

from finizi_b4b.api.errors import NotFound, Reason, Subject
from finizi_b4b.api.money import amount_json
from finizi_b4b.einvoice_xml import InvoiceIdentity, ParsedInvoice, Party

if TYPE_CHECKING:
    from finizi_b4b.api.models import Invoice

__all__ = ["Existing", "entity_named", "entity_tax_id", "find_existing", "is_entity", "preview_data"]

# How many invoices with the same series and number the duplicate look-up reads at most.
_LOOKUP_PAGE = 100


@attrs.frozen
class Existing:
    """An invoice of the entity that the one being imported would duplicate.

    ``certain`` is False when the list item said nothing about its seller: the
    same series and number, with the seller not known to differ. ``basis`` is
    the evidence the seller was matched on.
    """

    invoice_id: str
    basis: str
    certain: bool = True


def _fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def is_entity(tax_id: str | None, entity_tax_id: str | None) -> bool:
    """Whether ``tax_id`` names the entity: its own tax id or one of its branches (``<tax id>-NNN``)."""
    if not tax_id or not entity_tax_id:
        return False
    if tax_id == entity_tax_id:
        return True
    parent, _, branch = tax_id.partition("-")
    return parent == entity_tax_id and len(branch) == 3 and branch.isdigit()


async def entity_named(client: Any, entity_id: str) -> tuple[str | None, str | None, str]:
    """The entity's name, tax id and id, from the user's entity list with ``detailed=true`` (the
    API documents it as what includes tax ids). An entity the user cannot see is not found."""
    for entity in await client.my_entities(detailed=True):
        if entity.id.lower() == entity_id.lower():
            return entity.name, entity.tax_id, entity_id
    raise NotFound(Reason.STATUS, status=404, subject=Subject("entity", (entity_id,)))


async def entity_tax_id(client: Any, entity_id: str) -> str | None:
    """The entity's tax id; None when the entity list gives none."""
    return (await entity_named(client, entity_id))[1]


def _same_number(a: Any, b: str) -> bool:
    return (str(a).lstrip("0") or "0") == (b.lstrip("0") or "0")


class _SellerMatch:
    """Matches list items to the seller of the invoice being imported, asking the API at most once
    for the seller's vendor id."""

    def __init__(
        self,
        client: Any,
        entity_id: str,
        identity: InvoiceIdentity,
        seller_name: str | None,
        direction: str | None,
    ) -> None:
        self.client, self.entity_id, self.identity = client, entity_id, identity
        self.seller_name = _fold(seller_name) if seller_name else None
        self.direction = direction
        self._vendor_id: str | bool | None = False  # False: not asked yet

    async def vendor_id(self) -> str | None:
        if self._vendor_id is False:
            try:
                vendor, _ = await self.client.vendor_by_tax_id(self.entity_id, self.identity.seller_tax_id)
                self._vendor_id = vendor.id
            except NotFound:
                self._vendor_id = None
        return self._vendor_id if isinstance(self._vendor_id, str) else None

    async def verdict(self, item: Invoice) -> tuple[bool | None, str]:
        """Whether ``item`` has this seller (None: nothing tells), and the evidence."""
        seller = item.party("seller")
        if seller.tax_id:
            return seller.tax_id == self.identity.seller_tax_id, "seller_tax_id"
        if self.direction == "sales" and item.direction is not None:
            return item.direction == "sales", "direction"
        if item.vendor_id is not None and self.direction != "sales":
            return item.vendor_id == await self.vendor_id(), "vendor_id"
        name = seller.name or (item.vendor_name if self.direction != "sales" else None)
        if name and self.seller_name:
            return _fold(name) == self.seller_name, "seller_name"
        return None, "series_and_number"


async def find_existing(
    client: Any,
    entity_id: str,
    identity: InvoiceIdentity,
    *,
    seller_name: str | None = None,
    direction: str | None = None,
) -> Existing | None:
    """An invoice of the entity with the same series, number and seller, if any (numbers compare
    without their leading zeros, as the backend's duplicate check does)."""
    numbers = [identity.number]
    if identity.number.lstrip("0") not in ("", identity.number):
        numbers.append(identity.number.lstrip("0"))
    match = _SellerMatch(client, entity_id, identity, seller_name, direction)
    possible: Existing | None = None
    for number in numbers:
        page = await client.list_invoices(
            entity_id, page=1, page_size=_LOOKUP_PAGE, invoice_series=identity.series, invoice_number=number
        )
        for item in page.items:
            if (item.series or "").upper() != identity.series.upper():
                continue
            if item.number is None or not _same_number(item.number, identity.number):
                continue
            same, basis = await match.verdict(item)
            if same:
                return Existing(item.id, basis)
            if same is None and possible is None:
                possible = Existing(item.id, basis, certain=False)
    return possible


def _party(party: Party) -> dict[str, Any]:
    return {"name": party.name, "tax_id": party.tax_id, "address": party.address}


def preview_data(parsed: ParsedInvoice, direction: str | None, existing: Existing | None) -> dict[str, Any]:
    """What a preview shows of the invoice in the XML."""
    data = {
        "preview": True,
        "invoice_series": parsed.series,
        "invoice_number": parsed.number,
        "issue_date": parsed.issue_date.isoformat(),
        "direction": direction,
        "seller": _party(parsed.seller),
        "buyer": _party(parsed.buyer),
        "currency": parsed.currency,
        "total_amount_before_tax": amount_json(parsed.total_before_tax),
        "total_tax_amount": amount_json(parsed.total_tax),
        "total_amount": amount_json(parsed.total),
        "line_count": len(parsed.lines),
        "exists": None if existing is not None and not existing.certain else existing is not None,
        "existing_invoice_id": existing.invoice_id if existing is not None else None,
    }
    if existing is not None:
        data["match_basis"] = existing.basis
    return data
