"""Minimal mode: answers holding only what the real API is known to send (contract part A, V or Vd).

``Sandbox(minimal=True)`` (``finizi-b4b sandbox --minimal``) serves the same
data, status codes, required headers and errors as the default mode, but
leaves out of its answers what part A of the contract grades ASSUMED, so that
the server's tools can be tested against an API that sends no more than it
is known to:

- invoice list pages: the page fields, without ``total_amount`` and
  ``aggregations`` (rows 41-42); each item only :data:`INVOICE_ITEM_KEYS`
  (no seller or buyer names and tax ids, no ``line_count``, no ``currency``),
  with ``vendor_name``, the counterparty's name (rows 43-45);
- ``stats/summary`` ignores ``date_from`` and ``date_to`` (all-time figures,
  the dates neither checked nor echoed), as a backend that does not honour
  them would (row 53);
- ``/users/me/entities``: ``id``, ``name``, ``role``, and ``tax_id`` only when
  ``detailed=true`` is sent (rows 28-30); ``/users/me``: only ``id`` (row 27);
- login: ``access_token``, ``refresh_token``, ``user_id`` (rows 19, 21);
  refresh: the two tokens (row 22);
- vendor pages: ``items`` and ``total`` (row 59); product pages: ``items`` (row 65);
- the XML import: 201 with only ``queued_jobs`` (row 57); the invoice is created.

The endpoints of contract part B have their own minimal answers, described in
their route modules.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ENTITY_KEYS",
    "INVOICE_ITEM_KEYS",
    "LOGIN_KEYS",
    "PRODUCT_PAGE_KEYS",
    "REFRESH_KEYS",
    "VENDOR_PAGE_KEYS",
    "entity_item",
    "invoice_item",
    "only",
]

INVOICE_ITEM_KEYS = (
    "id",
    "invoice_series",
    "invoice_number",
    "issue_date",
    "direction",
    "status",
    "vendor_id",
    "vendor_name",
    "total_amount_before_tax",
    "total_tax_amount",
    "total_amount",
)
ENTITY_KEYS = ("id", "name", "role")
LOGIN_KEYS = ("access_token", "refresh_token", "user_id")
REFRESH_KEYS = ("access_token", "refresh_token")
VENDOR_PAGE_KEYS = ("items", "total")
PRODUCT_PAGE_KEYS = ("items",)


def only(record: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The entries of ``record`` named in ``keys``, in that order (absent ones left out)."""
    return {key: record[key] for key in keys if key in record}


def invoice_item(invoice: dict[str, Any]) -> dict[str, Any]:
    """An invoice as a minimal list item; ``vendor_name`` is the other side's name."""
    counterparty = invoice["seller_name"] if invoice["direction"] == 0 else invoice["buyer_name"]
    return only({**invoice, "vendor_name": counterparty}, INVOICE_ITEM_KEYS)


def entity_item(entity: dict[str, Any], role: str, detailed: bool) -> dict[str, Any]:
    """An entity of ``/users/me/entities``: ``id``, ``name``, ``role``, and ``tax_id`` when detailed."""
    item = only({**entity, "role": role}, ENTITY_KEYS)
    if detailed:
        item["tax_id"] = entity["tax_id"]
    return item
