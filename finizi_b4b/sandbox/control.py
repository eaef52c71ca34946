"""The control endpoints under ``/_sandbox`` (only when asked for, loopback only).

``POST/DELETE /_sandbox/faults`` add and clear faults, ``GET /_sandbox/stats``
counts requests by route, ``POST /_sandbox/expire-tokens`` expires every
access token, ``GET/DELETE /_sandbox/audit`` read and clear the audit of
agent mutations (a JSON list), ``GET/DELETE /_sandbox/seen`` the requests seen.
``GET/POST/DELETE /_sandbox/jobs`` read, set (``{"polls": 3, "delay": 0.0,
"error": null}``, each optional) and reset the plan of the jobs queued from
then on (:mod:`.jobs`): a long delay keeps a report's job running past a
client's patience, an error makes it fail. ``POST /_sandbox/synthetic-invoices``
(``{"entity": ..., "count": N, "currencies": "each"}``) adds ``N`` purchase
invoices to an entity, each from a vendor of its own and, with ``"each"``, in a
currency of its own (``"home"``, the default, keeps them in VND): the data of a
summary at scale, without the seeded world's cost of drawing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.data import make_invoice
from finizi_b4b.sandbox.faults import FAULT_KINDS, Fault
from finizi_b4b.sandbox.jobs import JobPlan
from finizi_b4b.sandbox.problems import object_body
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.state import State, key_of, now
from finizi_b4b.sandbox.tokens import expire_access_tokens

__all__ = ["CURRENCY_MODES", "LOOPBACK", "SYNTHETIC_MAX", "add_synthetic_invoices", "control_routes"]

LOOPBACK = {"127.0.0.1", "::1"}
control_routes = web.RouteTableDef()
_Handler = Callable[[web.Request], Awaitable[web.Response]]
SYNTHETIC_MAX = 100_000  # synthetic invoices added by one request
CURRENCY_MODES = ("home", "each")
_SYNTHETIC_TAX_IDS = 4_000_000_000  # ten digits beginning with 4: no seeded tax id begins so
_FIRST_DAY = dt.date(2026, 1, 1)


def _loopback_only(request: web.Request) -> None:
    if request.remote not in LOOPBACK:
        raise error(403, "The sandbox control endpoints answer loopback only")


@control_routes.post("/_sandbox/faults", name="control.add_fault")
async def add_fault(request: web.Request) -> web.Response:
    _loopback_only(request)
    body = await object_body(request)
    known = {f.name for f in attrs.fields(Fault)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise error(422, f"Unknown fault fields: {', '.join(unknown)}")
    if body.get("kind", "status") not in FAULT_KINDS:
        raise error(422, f"Unknown fault kind; known kinds: {', '.join(FAULT_KINDS)}")
    fault = Fault(**body)
    request.app[SETTINGS].faults.append(fault)
    return json_response(attrs.asdict(fault), status=201)


def _clearing(name: str, message: str) -> _Handler:
    """A control endpoint that empties the sandbox's list ``name`` and answers ``message``."""

    async def clear(request: web.Request) -> web.Response:
        _loopback_only(request)
        getattr(request.app[SETTINGS], name).clear()
        return json_response({"message": message})

    return clear


control_routes.delete("/_sandbox/faults", name="control.clear_faults")(_clearing("faults", "faults cleared"))


@control_routes.get("/_sandbox/stats", name="control.stats")
async def stats(request: web.Request) -> web.Response:
    _loopback_only(request)
    state = request.app[STATE]
    return json_response({"counts": dict(state.counts), "tokens_issued": len(state.issued_tokens)})


@control_routes.post("/_sandbox/expire-tokens", name="control.expire_tokens")
async def expire_tokens(request: web.Request) -> web.Response:
    _loopback_only(request)
    expire_access_tokens(request.app[STATE])
    return json_response({"message": "access tokens expired"})


@control_routes.get("/_sandbox/audit", name="control.audit")
async def audit(request: web.Request) -> web.Response:
    _loopback_only(request)
    return json_response(request.app[SETTINGS].audit)


control_routes.delete("/_sandbox/audit", name="control.clear_audit")(_clearing("audit", "audit cleared"))


@control_routes.get("/_sandbox/seen", name="control.seen")
async def seen(request: web.Request) -> web.Response:
    _loopback_only(request)
    return json_response([attrs.asdict(one) for one in request.app[SETTINGS].seen])


control_routes.delete("/_sandbox/seen", name="control.clear_seen")(_clearing("seen", "seen requests cleared"))


@control_routes.get("/_sandbox/jobs", name="control.jobs")
async def job_plan(request: web.Request) -> web.Response:
    _loopback_only(request)
    return json_response(attrs.asdict(request.app[SETTINGS].job_plan))


@control_routes.post("/_sandbox/jobs", name="control.set_jobs")
async def set_job_plan(request: web.Request) -> web.Response:
    _loopback_only(request)
    body = await object_body(request)
    unknown = sorted(set(body) - {f.name for f in attrs.fields(JobPlan)})
    if unknown:
        raise error(422, f"Unknown job plan fields: {', '.join(unknown)}")
    try:
        plan = JobPlan(**body)
    except (TypeError, ValueError) as exc:
        raise error(422, f"Invalid job plan: {exc}") from None
    request.app[SETTINGS].job_plan = plan
    return json_response(attrs.asdict(plan))


@control_routes.delete("/_sandbox/jobs", name="control.reset_jobs")
async def reset_job_plan(request: web.Request) -> web.Response:
    _loopback_only(request)
    request.app[SETTINGS].job_plan = JobPlan()
    return json_response(attrs.asdict(JobPlan()))


def add_synthetic_invoices(state: State, entity_id: str, count: int, *, currencies: str = "home") -> int:
    """Add ``count`` issued purchase invoices to the entity; answer how many invoices it then has.

    Invoice ``n`` (counted from the entity's invoices so far, so that a second
    call adds new ones) has one line, is issued in 2026, comes from a vendor of
    its own (a new vendor record, tax id ``40000000nn``) and is in the currency
    ``X`` and ``n`` in six digits with ``currencies="each"``, in VND otherwise.
    """
    entity = state.entities[entity_id]
    invoices, vendors = state.invoices[entity_id], state.vendors[entity_id]
    start, stamp = len(invoices), now()
    for n in range(start, start + count):
        tax_id = str(_SYNTHETIC_TAX_IDS + n)
        vendor: dict[str, Any] = {
            "id": state.new_id("vendor"),
            "entity_id": entity_id,
            "name": f"Công ty TNHH Nhà cung cấp {n:06d}",
            "tax_id": tax_id,
            "address": f"{1 + n % 400} Đường số {1 + n % 30}, Thủ Đức, TP. Hồ Chí Minh",
            "phone": None,
            "email": None,
            "parent_tax_id": None,
            "created_at": stamp,
        }
        vendors.append(vendor)
        state.vendor_index[vendor["id"]] = vendor
        price = 100_000 * (1 + n % 97)
        invoice = make_invoice(
            invoice_id=state.new_id("invoice"),
            entity=entity,
            series="C26TAA",
            number=f"{n + 1:07d}",
            issue_date=_FIRST_DAY + dt.timedelta(days=n % 365),
            direction=0,
            status="issued",
            counterpart=vendor,
            vendor_id=vendor["id"],
            lines=[
                {
                    "description": "Dịch vụ tư vấn",
                    "unit": "gói",
                    "quantity": 1,
                    "unit_price": price,
                    "vat_rate": (0, 5, 8, 10)[n % 4],
                }
            ],
            created_at=stamp,
            currency=f"X{n:06d}" if currencies == "each" else "VND",
        )
        invoices.append(invoice)
        state.invoice_index[invoice["id"]] = invoice
        state.duplicates[key_of(invoice)] = invoice["id"]
    invoices.sort(key=lambda inv: (inv["issue_date"], inv["created_at"], str(inv["id"])), reverse=True)
    return len(invoices)


@control_routes.post("/_sandbox/synthetic-invoices", name="control.synthetic_invoices")
async def synthetic_invoices(request: web.Request) -> web.Response:
    _loopback_only(request)
    body = await object_body(request)
    unknown = sorted(set(body) - {"entity", "count", "currencies"})
    if unknown:
        raise error(422, f"Unknown fields: {', '.join(unknown)}")
    state = request.app[STATE]
    entity_id = body.get("entity")
    if not isinstance(entity_id, str) or entity_id not in state.entities:
        raise error(404, "Entity not found")
    count = body.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= SYNTHETIC_MAX:
        raise error(422, f"count must be an integer from 1 to {SYNTHETIC_MAX}")
    currencies = body.get("currencies", "home")
    if currencies not in CURRENCY_MODES:
        raise error(422, f"currencies must be one of: {', '.join(CURRENCY_MODES)}")
    total = add_synthetic_invoices(state, entity_id, count, currencies=currencies)
    return json_response({"entity": entity_id, "added": count, "invoices": total}, status=201)
