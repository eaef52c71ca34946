"""The handler classes, one per domain, and the one table that says which method serves which tool.

Every tool the server serves has a definition file (``schemas/tools/<name>.json``)
and a row in :data:`TOOLS`; ``check-schemas`` and the tests check that the two
name the same tools. A handler class is built once per connection and serves
all of its rows.
"""

from __future__ import annotations

from types import MappingProxyType

from finizi_b4b.tools.auth import AuthTools
from finizi_b4b.tools.base import Call, Handler, Services
from finizi_b4b.tools.entities import EntityTools
from finizi_b4b.tools.imports import ImportTools
from finizi_b4b.tools.invoices import InvoiceTools
from finizi_b4b.tools.products import ProductTools
from finizi_b4b.tools.summaries import SummaryTools
from finizi_b4b.tools.vendors import VendorTools

__all__ = ["TOOLS", "Call", "Handler", "Services", "registry"]

# tool name -> (handler class, name of the method that serves it)
TOOLS: MappingProxyType[str, tuple[type[Handler], str]] = MappingProxyType(
    {
        "login": (AuthTools, "login"),
        "logout": (AuthTools, "logout"),
        "whoami": (AuthTools, "whoami"),
        "list_entities": (EntityTools, "list_entities"),
        "get_entity": (EntityTools, "get_entity"),
        "create_entity": (EntityTools, "create_entity"),
        "update_entity": (EntityTools, "update_entity"),
        "list_invoices": (InvoiceTools, "list_invoices"),
        "get_invoice": (InvoiceTools, "get_invoice"),
        "get_invoice_statistics": (InvoiceTools, "get_invoice_statistics"),
        "import_invoice_xml": (ImportTools, "import_invoice_xml"),
        "summarize_invoices": (SummaryTools, "summarize_invoices"),
        "list_vendors": (VendorTools, "list_vendors"),
        "get_vendor": (VendorTools, "get_vendor"),
        "list_products": (ProductTools, "list_products"),
        "search_similar_products": (ProductTools, "search_similar_products"),
    }
)


def registry() -> dict[str, tuple[type[Handler], str]]:
    """Every tool the server implements: name -> (handler class, method name)."""
    return dict(TOOLS)
