"""The handler classes, one per domain; the router's table is built from them."""

from __future__ import annotations

from finizi_b4b.tools.auth import AuthTools
from finizi_b4b.tools.base import Call, Handler, Services
from finizi_b4b.tools.entities import EntityTools
from finizi_b4b.tools.imports import ImportTools
from finizi_b4b.tools.invoices import InvoiceTools
from finizi_b4b.tools.products import ProductTools
from finizi_b4b.tools.vendors import VendorTools

__all__ = ["HANDLER_CLASSES", "Call", "Handler", "Services", "registry"]

HANDLER_CLASSES: tuple[type[Handler], ...] = (
    AuthTools, EntityTools, InvoiceTools, ImportTools, VendorTools, ProductTools
)


def registry() -> dict[str, tuple[type[Handler], str]]:
    """Every tool the server implements: name -> (handler class, method name)."""
    table: dict[str, tuple[type[Handler], str]] = {}
    for cls in HANDLER_CLASSES:
        for name, method in cls.tool_methods().items():
            if name in table:
                raise RuntimeError(f"tool {name!r} is implemented twice")
            table[name] = (cls, method)
    return table
