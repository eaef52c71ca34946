"""The control endpoints under ``/_sandbox`` (only when asked for, loopback only).

``POST/DELETE /_sandbox/faults`` add and clear faults, ``GET /_sandbox/stats``
counts requests by route, ``POST /_sandbox/expire-tokens`` expires every
access token, ``GET/DELETE /_sandbox/audit`` read and clear the audit of
agent mutations (a JSON list), ``GET/DELETE /_sandbox/seen`` the requests seen.
``GET/POST/DELETE /_sandbox/jobs`` read, set (``{"polls": 3, "delay": 0.0,
"error": null}``, each optional) and reset the plan of the jobs queued from
then on (:mod:`.jobs`): a long delay keeps a report's job running past a
client's patience, an error makes it fail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs
from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.faults import FAULT_KINDS, Fault
from finizi_b4b.sandbox.jobs import JobPlan
from finizi_b4b.sandbox.problems import object_body
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.tokens import expire_access_tokens

__all__ = ["LOOPBACK", "control_routes"]

LOOPBACK = {"127.0.0.1", "::1"}
control_routes = web.RouteTableDef()
_Handler = Callable[[web.Request], Awaitable[web.Response]]


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
