"""Route: importing a national e-invoice XML (multipart field ``file``) as an invoice of the entity.

The direction follows from which side is the entity: the buyer makes it a
purchase (0), the seller a sale (1). Either side may name the entity by one
of its branch tax ids (the entity's tax id plus ``-NNN``). ``queued_jobs`` lists
job ids as strings; with the alternative shapes, job objects ``{"id", "job", "status"}``.
In minimal mode the answer (still 201) is only ``{"queued_jobs": [...]}``; the
invoice is created all the same.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from finizi_b4b.einvoice_xml import InvoiceXMLError, XmlProblem, parse_einvoice
from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.data import make_invoice
from finizi_b4b.sandbox.jobs import queue_job
from finizi_b4b.sandbox.problems import Problems, boolean
from finizi_b4b.sandbox.responses import error, json_response
from finizi_b4b.sandbox.routes.common import API
from finizi_b4b.sandbox.state import now, same_company
from finizi_b4b.sandbox.tokens import current_user, entity_for

__all__ = ["MAX_UPLOAD_BYTES", "routes"]

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TOO_LARGE = "The file is too large: e-invoice XML uploads are limited to 5 MB"
routes = web.RouteTableDef()

# The backend's own words for an e-invoice it cannot read (the server words the same codes for itself, in
# finizi_b4b.tools.messages); a problem without words here is named by its code.
_XML_DETAIL = {
    XmlProblem.NOT_WELL_FORMED: "not well-formed XML (line {line}, column {column})",
    XmlProblem.DOCTYPE: "DOCTYPE is not allowed",
    XmlProblem.ENTITY: "entities are not allowed",
    XmlProblem.WRONG_ROOT: "the root element is <{value}>, not <HDon>",
    XmlProblem.MISSING: "{path} is missing",
    XmlProblem.EMPTY: "{path} is empty",
    XmlProblem.NOT_A_VAT_RATE: "{path} {value!r} is not a VAT rate in use",
    XmlProblem.LINE_MISMATCH: "{path} is {found}, not {expected}",
    XmlProblem.BEFORE_TAX_MISMATCH: "{path} is {found}, not {expected}",
    XmlProblem.TOTAL_MISMATCH: "{path} is {found}, not {expected}",
}


def _number(value: Any) -> int | float:
    return int(value) if value == int(value) else float(value)


def _xml_detail(exc: InvoiceXMLError) -> str:
    """The 422 detail for an e-invoice the sandbox cannot read, in the backend's words."""
    template = _XML_DETAIL.get(exc.problem)
    if template is None:
        where = exc.facts.get("path")
        said = exc.problem.value.replace("_", " ")
        return f"Invalid e-invoice XML: {where}: {said}." if where else f"Invalid e-invoice XML: {said}."
    return f"Invalid e-invoice XML: {template.format(**exc.facts)}."


def direction_for(entity_tax_id: str, seller_tax_id: str | None, buyer_tax_id: str | None) -> int | None:
    """0 when the entity (or a branch of it) buys, 1 when it sells, None when it is neither side."""
    if same_company(buyer_tax_id, entity_tax_id):
        return 0
    if same_company(seller_tax_id, entity_tax_id):
        return 1
    return None


@routes.post(f"{API}/entities/{{entity_id}}/invoices/xml", name="invoices.import_xml")
async def import_invoice_xml(request: web.Request) -> web.Response:
    entity, _ = entity_for(request, current_user(request))
    problems = Problems()
    auto_classify = boolean(problems, "auto_classify", request.query.get("auto_classify"), True)
    problems.raise_any()
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES + 64 * 1024:
        raise error(413, TOO_LARGE)
    if not request.content_type.startswith("multipart/"):
        problems.add(["body", "file"], "missing", "Field required", None)
        problems.raise_any()
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        problems.add(["body", "file"], "missing", "Field required", None)
        problems.raise_any()
    content = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise error(413, TOO_LARGE)
    try:
        parsed = parse_einvoice(content)
    except InvoiceXMLError as exc:
        raise error(422, _xml_detail(exc)) from None
    direction = direction_for(entity["tax_id"], parsed.seller.tax_id, parsed.buyer.tax_id)
    if direction is None:
        raise error(
            422,
            f"Invalid e-invoice XML: neither the seller ({parsed.seller.tax_id}) nor the buyer "
            f"({parsed.buyer.tax_id or 'no tax id'}) is this entity (tax id {entity['tax_id']})",
        )
    state, alt_shapes = request.app[STATE], request.app[SETTINGS].alt_shapes
    existing = state.duplicate_of(entity["id"], parsed.seller.tax_id, parsed.series, parsed.number)
    if existing is not None:
        raise error(
            409,
            f"Invoice {parsed.series}/{parsed.number} from seller {parsed.seller.tax_id} already exists "
            f"(id {existing})",
        )
    seller, buyer = parsed.seller, parsed.buyer
    vendor = (
        state.vendor_for_seller(entity["id"], seller.name, seller.tax_id, seller.address)
        if direction == 0
        else None
    )
    counterpart = seller if direction == 0 else buyer
    own = buyer if direction == 0 else seller  # the entity, or one of its branches, by tax id
    invoice = make_invoice(
        invoice_id=state.new_id("invoice"),
        entity={**entity, "tax_id": own.tax_id},
        series=parsed.series,
        number=parsed.number,
        issue_date=parsed.issue_date,
        direction=direction,
        status="issued",
        counterpart={"name": counterpart.name, "tax_id": counterpart.tax_id, "address": counterpart.address},
        vendor_id=vendor["id"] if vendor else None,
        lines=[
            {
                "description": line.name,
                "unit": line.unit,
                "quantity": _number(line.quantity),
                "unit_price": _number(line.unit_price),
                "vat_rate": line.vat_rate,
            }
            for line in parsed.lines
        ],
        created_at=now(),
        currency=parsed.currency,
    )
    state.add_invoice(invoice)
    jobs: list[Any] = []
    if auto_classify:
        job_id = str(uuid.uuid4())
        queue_job(state, request.app[SETTINGS].job_plan, job_id, "classify_line_items", entity["id"])
        job = {"id": job_id, "job": "classify_line_items", "status": "queued"}
        jobs.append(job if alt_shapes else job_id)
    if request.app[SETTINGS].minimal:
        return json_response({"queued_jobs": jobs}, status=201)
    return json_response({**invoice, "source": "xml", "queued_jobs": jobs}, status=201)
