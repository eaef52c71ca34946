"""Routes: generating a tax report (contract part B1), following its job, and downloading it.

``POST .../tax-reports/generate`` requires ``X-Entity-Id``; its body is
``report_type`` (vat, pit, cit or bctc), ``period`` (``YYYY-MM`` or
``YYYY-Qn``; anything else, or a period that begins after today, is a 422)
and ``upload_htkk`` (a boolean, false by default). Generation is
asynchronous, so it answers **202** with ``id``, ``download_url``,
``queued_jobs`` (one job id), ``status`` (``pending``), ``report_type``,
``period`` and ``upload_htkk``; in minimal mode only ``id``, ``download_url``
and ``queued_jobs``.

``GET /api/v1/celery/jobs/{job_id}`` follows any job the sandbox queued
(reports, payments, imports) as :mod:`finizi_b4b.sandbox.jobs` describes: a
report's job ends ``success`` with the report as ``result`` (figures in
:mod:`finizi_b4b.sandbox.taxes`), or ``failed`` with an ``error``; in minimal
mode the job answers only ``status``. A job of an entity the user cannot see
is a 404. ``download_url`` (``GET .../tax-reports/{id}/download``) answers
the same report once its job has succeeded, 409 before, and 404 after a failure.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import pydantic
from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.jobs import queue_job
from finizi_b4b.sandbox.problems import Problems, json_body, path_uuid, validate
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.routes.common import API, scoped_entity
from finizi_b4b.sandbox.taxes import PERIOD, period_bounds, report_figures
from finizi_b4b.sandbox.tokens import current_user, entity_access

__all__ = ["GenerateReport", "routes"]

routes = web.RouteTableDef()


class GenerateReport(pydantic.BaseModel):
    report_type: Literal["vat", "pit", "cit", "bctc"]
    period: Annotated[str, pydantic.StringConstraints(pattern=PERIOD.pattern)]
    upload_htkk: bool = False


@routes.post(f"{API}/entities/{{entity_id}}/tax-reports/generate", name="reports.generate")
async def generate_report(request: web.Request) -> web.Response:
    entity, _ = scoped_entity(request)
    problems = Problems()
    body = validate(problems, GenerateReport, await json_body(request), "body")
    problems.raise_any()
    assert body is not None
    bounds = period_bounds(body.period)
    if bounds is None or bounds[0] > dt.date.today():
        message = "Value error, the period has not begun" if bounds else "Value error, not a period"
        problems.add(["body", "period"], "value_error", message, body.period)
        problems.raise_any()
    state, box = request.app[STATE], request.app[SETTINGS]
    report_id, job_id = str(uuid.uuid4()), str(uuid.uuid4())
    figures = report_figures(state, entity["id"], body.report_type, body.period)
    queue_job(state, box.job_plan, job_id, f"generate_{body.report_type}_report", entity["id"], figures)
    download = f"{API}/entities/{entity['id']}/tax-reports/{report_id}/download"
    report = {
        "id": report_id,
        "entity_id": entity["id"],
        "report_type": body.report_type,
        "period": body.period,
        "upload_htkk": body.upload_htkk,
        "download_url": download,
        "job_id": job_id,
    }
    state.reports[report_id] = report
    if box.minimal:
        return json_response({"id": report_id, "download_url": download, "queued_jobs": [job_id]}, status=202)
    answer = {
        "id": report_id,
        "download_url": download,
        "queued_jobs": [job_id],
        "status": "pending",
        "report_type": body.report_type,
        "period": body.period,
        "upload_htkk": body.upload_htkk,
    }
    return json_response(answer, status=202)


@routes.get(f"{API}/entities/{{entity_id}}/tax-reports/{{report_id}}/download", name="reports.download")
async def download_report(request: web.Request) -> web.Response:
    entity, _ = scoped_entity(request, header_required=False)
    state = request.app[STATE]
    report = state.reports.get(path_uuid(request, "report_id"))
    if report is None or report["entity_id"] != entity["id"]:
        raise error(404, "Report not found")
    job = state.jobs[report["job_id"]]
    if job.status == "failed":
        raise error(404, f"The report was not generated: {job.plan.error}")
    if job.status != "success":
        raise error(409, "The report is still being generated")
    return json_response(job.result)


@routes.get(f"{API}/celery/jobs/{{job_id}}", name="jobs.get")
async def get_job(request: web.Request) -> web.Response:
    user = current_user(request)
    state = request.app[STATE]
    job = state.jobs.get(request.match_info["job_id"])
    if job is None:
        raise error(404, "Job not found")
    try:
        entity_access(state, user, job.entity_id)
    except web.HTTPException:
        raise error(404, "Job not found") from None
    job.poll()
    return json_response(job.view(request.app[SETTINGS].minimal))
