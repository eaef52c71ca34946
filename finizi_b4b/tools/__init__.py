"""The tool table: which handler method serves each tool, its toolset, and the rules over its arguments.

Every tool the server serves has a definition file (``schemas/tools/<name>.json``)
and a row in :data:`TOOLS`; ``check-schemas`` and the tests check that the two
name the same tools. A handler class is built once per connection and serves
all of its rows. Handlers are named by import path, so that reading the table
(at start-up, for the tool list and the argument rules) imports none of them.

Toolsets group the tools so that a client can be served only what it needs
(:data:`TOOLSETS`, chosen with ``FINIZI_B4B_TOOLSETS``).
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from finizi_b4b.config import TOOLSETS
from finizi_b4b.tools.base import Call, Handler, Services
from finizi_b4b.tools.rules import AbsolutePaths, AtLeastOne, BothOrNeither, ExactlyOne, Rule

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CORE",
    "INVOICES",
    "PAYMENTS",
    "REGISTRY",
    "REPORTS",
    "TOOLS",
    "TOOLSETS",
    "Call",
    "Handler",
    "Services",
    "Tool",
    "registry",
]

# Every toolset, in the order the documentation lists them (the names are the settings' to check).
CORE, INVOICES, REPORTS, REGISTRY, PAYMENTS = TOOLSETS
ENTITY_FIELDS = ("name", "tax_id", "address", "phone", "email")


@attrs.frozen
class Tool:
    """One row of the table: the handler (``module:Class``), its method, toolset and argument rules."""

    handler: str
    method: str
    toolset: str
    rules: tuple[Rule, ...] = ()
    # The handler method that says in one line what a call would do, for the user to confirm it first
    # (every write has one; login has one for a switch of account).
    confirm: str | None = None

    def handler_class(self) -> type[Handler]:
        module, _, name = self.handler.partition(":")
        found = getattr(importlib.import_module(f"finizi_b4b.tools.{module}"), name)
        assert isinstance(found, type) and issubclass(found, Handler)
        return found


def _tool(handler: str, method: str, toolset: str, *rules: Rule, confirm: str | None = None) -> Tool:
    return Tool(handler, method, toolset, rules, confirm)


TOOLS: Mapping[str, Tool] = MappingProxyType(
    {
        "login": _tool(
            "auth:AuthTools", "login", CORE, BothOrNeither(("phone", "password")), confirm="describe_login"
        ),
        "logout": _tool("auth:AuthTools", "logout", CORE),
        "whoami": _tool("auth:AuthTools", "whoami", CORE),
        "list_entities": _tool("entities:EntityTools", "list_entities", CORE),
        "get_entity": _tool("entities:EntityTools", "get_entity", CORE),
        "create_entity": _tool("entities:EntityTools", "create_entity", CORE, confirm="describe_create"),
        "update_entity": _tool(
            "entities:EntityTools",
            "update_entity",
            CORE,
            AtLeastOne(ENTITY_FIELDS),
            confirm="describe_update",
        ),
        "list_invoices": _tool("invoices:InvoiceTools", "list_invoices", INVOICES),
        "get_invoice": _tool("invoices:InvoiceTools", "get_invoice", INVOICES),
        "get_invoice_statistics": _tool("invoices:InvoiceTools", "get_invoice_statistics", INVOICES),
        "import_invoice_xml": _tool(
            "imports:ImportTools",
            "import_invoice_xml",
            INVOICES,
            ExactlyOne(("file_path", "file_paths", "xml_content")),
            AbsolutePaths("file_path"),
            AbsolutePaths("file_paths"),
            confirm="describe_import",
        ),
        "summarize_invoices": _tool("summaries:SummaryTools", "summarize_invoices", INVOICES),
        "list_vendors": _tool("vendors:VendorTools", "list_vendors", INVOICES),
        "get_vendor": _tool(
            "vendors:VendorTools", "get_vendor", INVOICES, ExactlyOne(("vendor_id", "tax_id"))
        ),
        "list_products": _tool("products:ProductTools", "list_products", INVOICES),
        "search_similar_products": _tool("products:ProductTools", "search_similar_products", INVOICES),
        "generate_tax_report": _tool("reports:ReportTools", "generate_tax_report", REPORTS),
        "send_tax_report_to_htkk": _tool(
            "reports:ReportTools", "send_tax_report_to_htkk", REPORTS, confirm="describe_htkk"
        ),
        "get_trial_balance": _tool("reports:ReportTools", "get_trial_balance", REPORTS),
        "get_general_ledger": _tool("reports:ReportTools", "get_general_ledger", REPORTS),
        "lookup_company": _tool("company_registry:RegistryTools", "lookup_company", REGISTRY),
        "check_suppliers": _tool("company_registry:RegistryTools", "check_suppliers", REGISTRY),
        "list_invoice_payments": _tool("payments:PaymentTools", "list_invoice_payments", PAYMENTS),
        "record_payment": _tool(
            "payments:PaymentTools", "record_payment", PAYMENTS, confirm="describe_payment"
        ),
    }
)


def registry() -> dict[str, tuple[type[Handler], str]]:
    """Every tool the server implements: name -> (handler class, method name)."""
    return {name: (tool.handler_class(), tool.method) for name, tool in TOOLS.items()}
