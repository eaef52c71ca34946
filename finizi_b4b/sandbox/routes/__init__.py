"""The API's routes, one module per domain."""

from __future__ import annotations

from aiohttp import web

from finizi_b4b.sandbox.routes import (
    auth,
    entities,
    imports,
    invoices,
    journal,
    payments,
    products,
    registry,
    reports,
    vendors,
)

__all__ = ["ROUTES"]

ROUTES: tuple[web.RouteTableDef, ...] = (
    auth.routes,
    entities.routes,
    invoices.routes,
    imports.routes,
    vendors.routes,
    products.routes,
    payments.routes,
    journal.routes,
    reports.routes,
    registry.routes,
)
