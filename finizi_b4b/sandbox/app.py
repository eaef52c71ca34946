"""The sandbox's HTTP application: the B4B API contract on ``aiohttp.web``.

Answers mirror a FastAPI backend: ``{"detail": "..."}`` errors, the 422 list
form for invalid bodies and query parameters, 401 with ``WWW-Authenticate``.
A fault list lets tests make the next requests fail or slow down; the control
endpoints under ``/_sandbox`` exist only when asked for and answer loopback only.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import attrs
from aiohttp import web

from finizi_b4b.einvoice_xml import InvoiceXMLError, parse_einvoice
from finizi_b4b.sandbox.data import STATUSES, State, make_invoice, normalize_phone
from finizi_b4b.sandbox.similarity import TrigramIndex, fold

__all__ = ["MAX_PAGE_SIZE", "MAX_UPLOAD_BYTES", "Fault", "Sandboxed", "create_app"]

API = "/api/v1"
MAX_PAGE_SIZE = 200
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TAX_ID = re.compile(r"^([0-9]{10}(-[0-9]{3})?|[0-9]{12,14})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOOPBACK = {"127.0.0.1", "::1"}
_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))

STATE: web.AppKey[State] = web.AppKey("state", State)
SETTINGS: web.AppKey[Sandboxed] = web.AppKey("settings", object)  # type: ignore[arg-type]


@attrs.define
class Fault:
    """Make the next ``count`` matching requests answer ``status`` (or only wait, if status is None)."""

    status: int | None = 503
    count: int = 1
    body: str | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = attrs.Factory(dict)
    delay: float = 0.0
    path: str | None = None  # a prefix of the request path
    method: str | None = None

    def matches(self, request: web.Request) -> bool:
        if self.count <= 0:
            return False
        if self.method and request.method != self.method.upper():
            return False
        return not self.path or request.path.startswith(self.path)


@attrs.define
class Sandboxed:
    """What the handlers share besides the data."""

    token_ttl: float = 900.0
    faults: list[Fault] = attrs.Factory(list)
    secret: bytes = attrs.Factory(lambda: secrets.token_bytes(32))
    indexes: dict[str, TrigramIndex] = attrs.Factory(dict)
    duplicates: dict[tuple[str, str | None, str, str], str] = attrs.Factory(dict)


# -- errors --------------------------------------------------------------------


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def error(status: int, detail: Any, headers: dict[str, str] | None = None) -> web.HTTPException:
    """A FastAPI-style error, raised by handlers."""
    exc = web.HTTPException(headers=headers)
    exc.set_status(status)
    exc.text = _dumps({"detail": detail})
    exc.content_type = "application/json"
    return exc


def unauthorized(detail: str) -> web.HTTPException:
    return error(401, detail, {"WWW-Authenticate": "Bearer"})


class Problems:
    """Collects 422 items in FastAPI's list form."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, loc: list[Any], kind: str, msg: str, value: Any = None, **ctx: Any) -> None:
        item: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
        if ctx:
            item["ctx"] = ctx
        self.items.append(item)

    def raise_any(self) -> None:
        if self.items:
            raise error(422, self.items)


def _integer(
    problems: Problems, where: str, name: str, raw: str | None, default: int, low: int, high: int
) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.add(
            [where, name],
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
            raw,
        )
        return default
    if value < low:
        problems.add(
            [where, name],
            "greater_than_equal",
            f"Input should be greater than or equal to {low}",
            raw,
            ge=low,
        )
    elif value > high:
        problems.add(
            [where, name], "less_than_equal", f"Input should be less than or equal to {high}", raw, le=high
        )
    return value


def _date(problems: Problems, name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        problems.add(
            ["query", name], "date_parsing", "Input should be a valid date in the format YYYY-MM-DD", raw
        )
        return None


def _uuid_param(request: web.Request, name: str) -> str:
    raw = request.match_info[name]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        problems = Problems()
        problems.add(["path", name], "uuid_parsing", "Input should be a valid UUID", raw)
        problems.raise_any()
        raise AssertionError("unreachable") from None


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json(loads=json.loads)
    except ValueError:
        problems = Problems()
        problems.add(["body"], "json_invalid", "JSON decode error", None)
        problems.raise_any()
    if not isinstance(data, dict):
        problems = Problems()
        problems.add(["body"], "model_attributes_type", "Input should be a valid dictionary or object", data)
        problems.raise_any()
    return data


def _string(
    problems: Problems,
    body: dict[str, Any],
    name: str,
    *,
    required: bool,
    low: int = 0,
    high: int = 255,
    pattern: re.Pattern[str] | None = None,
) -> str | None:
    if name not in body or body[name] is None:
        if required:
            problems.add(["body", name], "missing", "Field required", body)
        return None
    value = body[name]
    if not isinstance(value, str):
        problems.add(["body", name], "string_type", "Input should be a valid string", value)
        return None
    value = value.strip()
    if len(value) < low:
        problems.add(
            ["body", name],
            "string_too_short",
            f"String should have at least {low} character",
            value,
            min_length=low,
        )
    elif len(value) > high:
        problems.add(
            ["body", name],
            "string_too_long",
            f"String should have at most {high} characters",
            value,
            max_length=high,
        )
    elif pattern is not None and not pattern.match(value):
        problems.add(
            ["body", name],
            "string_pattern_mismatch",
            f"String should match pattern '{pattern.pattern}'",
            value,
            pattern=pattern.pattern,
        )
    return value


# -- tokens --------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _issue(request: web.Request, user_id: str) -> dict[str, Any]:
    """A new access and refresh token pair, JWT-shaped, remembered server side."""
    state, box = request.app[STATE], request.app[SETTINGS]
    now = int(time.time())

    def token(kind: str, lifetime: float) -> str:
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        claims = {
            "sub": user_id,
            "type": kind,
            "iat": now,
            "exp": now + int(lifetime),
            "jti": secrets.token_hex(8),
        }
        payload = _b64(_dumps(claims).encode())
        signature = _b64(hmac.new(box.secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    access, refresh = token("access", box.token_ttl), token("refresh", 30 * 86400)
    state.access_tokens[access] = (user_id, time.monotonic() + box.token_ttl)
    state.refresh_tokens[refresh] = user_id
    state.refresh_of[access] = refresh
    state.issued_tokens += [access, refresh]
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(box.token_ttl),
        "user_id": user_id,
    }


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Not authenticated")
    return token.strip()


def current_user(request: web.Request) -> dict[str, Any]:
    state = request.app[STATE]
    token = _bearer(request)
    found = state.access_tokens.get(token)
    if found is None:
        raise unauthorized("Could not validate credentials")
    user_id, expires_at = found
    if time.monotonic() >= expires_at:
        raise unauthorized("Token has expired")
    return state.users[user_id]


def _entity_for(request: web.Request, user: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The entity in the path and the user's role in it; 404 if unknown, 403 if not theirs."""
    return _entity_access(request.app[STATE], user, _uuid_param(request, "entity_id"))


def _entity_access(state: State, user: dict[str, Any], entity_id: str) -> tuple[dict[str, Any], str]:
    entity = state.entities.get(entity_id)
    if entity is None:
        raise error(404, "Entity not found")
    role = state.role(user["id"], entity_id)
    if role is None:
        if not user["is_super_admin"]:
            raise error(403, "You do not have access to this entity")
        role = "super_admin"
    return entity, role


# -- handlers ------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()


@routes.get(f"{API}/health", name="health")
async def health(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


@routes.post(f"{API}/auth/login", name="auth.login")
async def login(request: web.Request) -> web.Response:
    body = await _body(request)
    problems = Problems()
    phone = _string(problems, body, "phone", required=True, low=1, high=20)
    password = _string(problems, body, "password", required=True, low=1, high=128)
    problems.raise_any()
    state = request.app[STATE]
    user_id = state.phones.get(normalize_phone(phone or ""))
    # One answer for an unknown phone and a wrong password: the phone's existence is not revealed.
    known = state.passwords.get(user_id or "", "")
    if not hmac.compare_digest(known.encode(), (password or "").encode()) or not user_id:
        raise unauthorized("Incorrect phone number or password")
    return _json(_issue(request, user_id))


@routes.post(f"{API}/auth/refresh", name="auth.refresh")
async def refresh(request: web.Request) -> web.Response:
    body = await _body(request)
    problems = Problems()
    token = _string(problems, body, "refresh_token", required=True, low=1, high=4096)
    problems.raise_any()
    state = request.app[STATE]
    user_id = state.refresh_tokens.pop(token or "", None)  # rotation: the old one stops working
    if user_id is None:
        raise unauthorized("Invalid or expired refresh token")
    issued = _issue(request, user_id)
    return _json({k: issued[k] for k in ("access_token", "refresh_token", "token_type", "expires_in")})


@routes.post(f"{API}/auth/logout", name="auth.logout")
async def logout(request: web.Request) -> web.Response:
    current_user(request)
    state = request.app[STATE]
    token = _bearer(request)
    state.access_tokens.pop(token, None)
    state.refresh_tokens.pop(state.refresh_of.pop(token, ""), None)
    return _json({"message": "Successfully logged out"})


@routes.get(f"{API}/users/me", name="users.me")
async def me(request: web.Request) -> web.Response:
    return _json(current_user(request))


def _entity_view(state: State, entity: dict[str, Any], role: str, detailed: bool) -> dict[str, Any]:
    view = {**entity, "role": role}
    if detailed:
        view.update(
            invoice_count=len(state.invoices.get(entity["id"], ())),
            vendor_count=len(state.vendors.get(entity["id"], ())),
            product_count=len(state.products.get(entity["id"], ())),
        )
    return view


def _bool(problems: Problems, name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    problems.add(
        ["query", name], "bool_parsing", "Input should be a valid boolean, unable to interpret input", raw
    )
    return default


@routes.get(f"{API}/users/me/entities", name="users.entities")
async def my_entities(request: web.Request) -> web.Response:
    user = current_user(request)
    problems = Problems()
    detailed = _bool(problems, "detailed", request.query.get("detailed"), False)
    problems.raise_any()
    state = request.app[STATE]
    return _json(
        [_entity_view(state, entity, role, detailed) for entity, role in state.entities_of(user["id"])]
    )


def _entity_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    problems = Problems()
    values = {
        "name": _string(problems, body, "name", required=creating, low=1, high=255),
        "tax_id": _string(problems, body, "tax_id", required=creating, pattern=TAX_ID),
        "address": _string(problems, body, "address", required=False, high=500),
        "phone": _string(problems, body, "phone", required=False, high=20),
        "email": _string(problems, body, "email", required=False, high=254, pattern=EMAIL),
    }
    problems.raise_any()
    return {k: v for k, v in values.items() if k in body and v is not None}


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _taken(state: State, tax_id: str, other_than: str | None = None) -> bool:
    return any(e["tax_id"] == tax_id and e["id"] != other_than for e in state.entities.values())


@routes.post(f"{API}/entities", name="entities.create")
async def create_entity(request: web.Request) -> web.Response:
    user = current_user(request)
    fields = _entity_fields(await _body(request), creating=True)
    state = request.app[STATE]
    if _taken(state, fields["tax_id"]):
        raise error(409, f"An entity with tax id {fields['tax_id']} already exists")
    stamp = _now()
    entity = {"id": str(uuid.uuid4()), "address": None, "phone": None, "email": None, **fields}
    entity.update(created_at=stamp, updated_at=stamp)
    state.entities[entity["id"]] = entity
    state.memberships[(user["id"], entity["id"])] = "owner"
    state.invoices[entity["id"]], state.vendors[entity["id"]], state.products[entity["id"]] = [], [], []
    return _json(_entity_view(state, entity, "owner", False), status=201)


@routes.get(f"{API}/entities/{{entity_id}}", name="entities.get")
async def get_entity(request: web.Request) -> web.Response:
    entity, role = _entity_for(request, current_user(request))
    return _json(_entity_view(request.app[STATE], entity, role, True))


@routes.put(f"{API}/entities/{{entity_id}}", name="entities.update")
async def update_entity(request: web.Request) -> web.Response:
    entity, role = _entity_for(request, current_user(request))
    if role not in ("owner", "admin", "super_admin"):
        raise error(403, "Only an owner or admin of this entity can change it")
    fields = _entity_fields(await _body(request), creating=False)
    state = request.app[STATE]
    if "tax_id" in fields and _taken(state, fields["tax_id"], other_than=entity["id"]):
        raise error(409, f"An entity with tax id {fields['tax_id']} already exists")
    entity.update(fields, updated_at=_now())
    return _json(_entity_view(state, entity, role, False))


def _paged(
    items: list[dict[str, Any]], page: int, size: int, view: Callable[[dict[str, Any]], Any] | None = None
) -> dict[str, Any]:
    """One page of ``items``; ``view`` shapes only the items on it."""
    total = len(items)
    pages = math.ceil(total / size) if total else 0
    start = (page - 1) * size
    shown = items[start : start + size]
    return {
        "items": [view(item) for item in shown] if view else shown,
        "total": total,
        "page": page,
        "per_page": size,
        "pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1 and total > 0,
    }


def _paging(problems: Problems, request: web.Request, size_name: str) -> tuple[int, int]:
    page = _integer(problems, "query", "page", request.query.get("page"), 1, 1, 1_000_000)
    size = _integer(problems, "query", size_name, request.query.get(size_name), 20, 1, MAX_PAGE_SIZE)
    return page, size


def _summary(invoice: dict[str, Any]) -> dict[str, Any]:
    item = {k: v for k, v in invoice.items() if k != "line_items"}
    item["line_count"] = len(invoice["line_items"])
    return item


def _matches_text(needle: str, *values: Any) -> bool:
    return any(needle in fold(str(v)) for v in values if v)


@routes.get(f"{API}/entities/{{entity_id}}/invoices", name="invoices.list")
async def list_invoices(request: web.Request) -> web.Response:
    entity, _ = _entity_for(request, current_user(request))
    query, problems = request.query, Problems()
    page, size = _paging(problems, request, "page_size")
    status = query.get("status")
    if status is not None and status not in STATUSES:
        expected = ", ".join(f"'{s}'" for s in STATUSES)
        problems.add(["query", "status"], "enum", f"Input should be {expected}", status, expected=expected)
    direction = None
    if "direction" in query:
        direction = _integer(problems, "query", "direction", query["direction"], 0, 0, 1)
    vendor_id = query.get("vendor_id")
    if vendor_id is not None:
        try:
            vendor_id = str(uuid.UUID(vendor_id))
        except ValueError:
            problems.add(["query", "vendor_id"], "uuid_parsing", "Input should be a valid UUID", vendor_id)
    date_from, date_to = (
        _date(problems, "date_from", query.get("date_from")),
        _date(problems, "date_to", query.get("date_to")),
    )
    problems.raise_any()
    needle = fold(query["q"]) if query.get("q") else None
    series = query.get("invoice_series")
    number = query.get("invoice_number")
    number = number.lstrip("0") or "0" if number else None
    found = [
        inv
        for inv in request.app[STATE].invoices[entity["id"]]
        if (status is None or inv["status"] == status)
        and (direction is None or inv["direction"] == direction)
        and (vendor_id is None or inv["vendor_id"] == vendor_id)
        and (date_from is None or inv["issue_date"] >= date_from)
        and (date_to is None or inv["issue_date"] <= date_to)
        and (series is None or inv["invoice_series"] == series.upper())
        and (number is None or (inv["invoice_number"].lstrip("0") or "0") == number)
        and (
            needle is None
            or _matches_text(
                needle,
                inv["seller_name"],
                inv["buyer_name"],
                inv["seller_tax_id"],
                inv["buyer_tax_id"],
                inv["invoice_series"],
                inv["invoice_number"],
            )
        )
    ]
    return _json(_paged(found, page, size, _summary))


def _stat_bucket() -> dict[str, Any]:
    return {"count": 0, "total_amount_before_tax": 0, "total_tax_amount": 0, "total_amount": 0}


def _add(bucket: dict[str, Any], invoice: dict[str, Any]) -> None:
    bucket["count"] += 1
    for key in ("total_amount_before_tax", "total_tax_amount", "total_amount"):
        bucket[key] += invoice[key]


@routes.get(f"{API}/entities/{{entity_id}}/invoices/stats/summary", name="invoices.stats")
async def invoice_stats(request: web.Request) -> web.Response:
    entity, _ = _entity_for(request, current_user(request))
    problems = Problems()
    date_from = _date(problems, "date_from", request.query.get("date_from"))
    date_to = _date(problems, "date_to", request.query.get("date_to"))
    problems.raise_any()
    by_status = {status: {"count": 0, "total_amount": 0} for status in STATUSES}
    by_direction = {"purchase": _stat_bucket(), "sales": _stat_bucket()}
    totals = _stat_bucket()
    for inv in request.app[STATE].invoices[entity["id"]]:
        if (date_from and inv["issue_date"] < date_from) or (date_to and inv["issue_date"] > date_to):
            continue
        by_status[inv["status"]]["count"] += 1
        by_status[inv["status"]]["total_amount"] += inv["total_amount"]
        if inv["status"] == "cancelled":  # a cancelled invoice counts, but its money does not
            totals["count"] += 1
            continue
        _add(totals, inv)
        _add(by_direction["sales" if inv["direction"] == 1 else "purchase"], inv)
    return _json(
        {
            "entity_id": entity["id"],
            "date_from": date_from,
            "date_to": date_to,
            "currency": "VND",
            "total_count": totals["count"],
            "total_amount_before_tax": totals["total_amount_before_tax"],
            "total_tax_amount": totals["total_tax_amount"],
            "total_amount": totals["total_amount"],
            "amounts_exclude_statuses": ["cancelled"],
            "by_status": by_status,
            "by_direction": by_direction,
        }
    )


@routes.get(f"{API}/entities/{{entity_id}}/invoices/{{invoice_id}}", name="invoices.get")
async def get_invoice(request: web.Request) -> web.Response:
    entity, _ = _entity_for(request, current_user(request))
    invoice = request.app[STATE].invoice_index.get(_uuid_param(request, "invoice_id"))
    if invoice is None or invoice["entity_id"] != entity["id"]:
        raise error(404, "Invoice not found")
    return _json(invoice)


def _vendor_for_seller(state: State, entity_id: str, seller: Any) -> dict[str, Any]:
    for vendor in state.vendors[entity_id]:
        if vendor["tax_id"] == seller.tax_id:
            return vendor
    vendor = {
        "id": str(uuid.uuid4()),
        "entity_id": entity_id,
        "name": seller.name,
        "tax_id": seller.tax_id,
        "address": seller.address,
        "phone": None,
        "email": None,
        "parent_tax_id": seller.tax_id.split("-")[0] if "-" in seller.tax_id else None,
        "created_at": _now(),
    }
    state.vendors[entity_id].append(vendor)
    state.vendor_index[vendor["id"]] = vendor
    return vendor


@routes.post(f"{API}/entities/{{entity_id}}/invoices/xml", name="invoices.import_xml")
async def import_invoice_xml(request: web.Request) -> web.Response:
    entity, _ = _entity_for(request, current_user(request))
    problems = Problems()
    auto_classify = _bool(problems, "auto_classify", request.query.get("auto_classify"), True)
    problems.raise_any()
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES + 64 * 1024:
        raise error(413, "The file is too large: e-invoice XML uploads are limited to 5 MB")
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
        raise error(413, "The file is too large: e-invoice XML uploads are limited to 5 MB")
    try:
        parsed = parse_einvoice(content)
    except InvoiceXMLError as exc:
        raise error(422, f"Invalid e-invoice XML: {exc}") from None
    if parsed.buyer.tax_id == entity["tax_id"]:
        direction = 0
    elif parsed.seller.tax_id == entity["tax_id"]:
        direction = 1
    else:
        raise error(
            422,
            f"Invalid e-invoice XML: neither the seller ({parsed.seller.tax_id}) nor the buyer "
            f"({parsed.buyer.tax_id or 'no tax id'}) is this entity (tax id {entity['tax_id']})",
        )
    state, box = request.app[STATE], request.app[SETTINGS]
    key = (entity["id"], parsed.seller.tax_id, parsed.series, parsed.number.lstrip("0") or "0")
    if key in box.duplicates:
        raise error(
            409,
            f"Invoice {parsed.series}/{parsed.number} from seller {parsed.seller.tax_id} already exists "
            f"(id {box.duplicates[key]})",
        )
    vendor = _vendor_for_seller(state, entity["id"], parsed.seller) if direction == 0 else None
    counterpart = parsed.seller if direction == 0 else parsed.buyer
    invoice = make_invoice(
        invoice_id=str(uuid.uuid4()),
        entity=entity,
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
                "quantity": int(line.quantity)
                if line.quantity == int(line.quantity)
                else float(line.quantity),
                "unit_price": int(line.unit_price)
                if line.unit_price == int(line.unit_price)
                else float(line.unit_price),
                "vat_rate": line.vat_rate,
            }
            for line in parsed.lines
        ],
        created_at=_now(),
        currency=parsed.currency,
    )
    invoices = state.invoices[entity["id"]]
    invoices.append(invoice)
    invoices.sort(key=lambda inv: (inv["issue_date"], inv["created_at"], inv["id"]), reverse=True)
    state.invoice_index[invoice["id"]] = invoice
    box.duplicates[key] = invoice["id"]
    jobs = [{"job": "classify_line_items", "status": "queued"}] if auto_classify else []
    return _json({**invoice, "source": "xml", "queued_jobs": jobs}, status=201)


@routes.get(f"{API}/entities/{{entity_id}}/vendors", name="vendors.list")
async def list_vendors(request: web.Request) -> web.Response:
    entity, _ = _entity_for(request, current_user(request))
    problems = Problems()
    page, size = _paging(problems, request, "page_size")
    problems.raise_any()
    vendors = sorted(request.app[STATE].vendors[entity["id"]], key=lambda v: (fold(v["name"]), v["id"]))
    if request.query.get("q"):
        needle = fold(request.query["q"])
        vendors = [v for v in vendors if _matches_text(needle, v["name"], v["tax_id"], v["address"])]
    return _json(_paged(vendors, page, size))


def _vendor_view(state: State, vendor: dict[str, Any]) -> dict[str, Any]:
    bought = [inv for inv in state.invoices[vendor["entity_id"]] if inv["vendor_id"] == vendor["id"]]
    return {
        **vendor,
        "invoice_count": len(bought),
        "total_purchase_amount": sum(inv["total_amount"] for inv in bought if inv["status"] != "cancelled"),
    }


@routes.post(f"{API}/entities/{{entity_id}}/vendors/search-by-tax-id", name="vendors.by_tax_id")
async def vendor_by_tax_id(request: web.Request) -> web.Response:
    entity, _ = _entity_for(request, current_user(request))
    problems = Problems()
    tax_id = _string(problems, await _body(request), "tax_id", required=True, pattern=TAX_ID)
    problems.raise_any()
    state = request.app[STATE]
    by_tax_id = {v["tax_id"]: v for v in state.vendors[entity["id"]]}
    if tax_id in by_tax_id:
        return _json({"data": {"vendor": _vendor_view(state, by_tax_id[tax_id]), "matched_parent": False}})
    parent = tax_id.split("-")[0] if "-" in tax_id else None
    if parent and parent in by_tax_id:
        return _json(
            {
                "data": {
                    "vendor": _vendor_view(state, by_tax_id[parent]),
                    "matched_parent": True,
                    "requested_tax_id": tax_id,
                }
            }
        )
    raise error(404, f"No vendor with tax id {tax_id} in this entity")


@routes.get(f"{API}/entities/{{entity_id}}/vendors/{{vendor_id}}", name="vendors.get")
async def get_vendor(request: web.Request) -> web.Response:
    entity, _ = _entity_for(request, current_user(request))
    state = request.app[STATE]
    vendor = state.vendor_index.get(_uuid_param(request, "vendor_id"))
    if vendor is None or vendor["entity_id"] != entity["id"]:
        raise error(404, "Vendor not found")
    return _json(_vendor_view(state, vendor))


@routes.get(f"{API}/entities/{{entity_id}}/products", name="products.list")
async def list_products(request: web.Request) -> web.Response:
    entity, _ = _entity_for(request, current_user(request))
    problems = Problems()
    page, size = _paging(problems, request, "per_page")
    problems.raise_any()
    products = request.app[STATE].products[entity["id"]]
    if request.query.get("search"):
        needle = fold(request.query["search"])
        products = [p for p in products if _matches_text(needle, p["name"], p["sku"], p["description"])]
    return _json(_paged(sorted(products, key=lambda p: p["sku"]), page, size))


@routes.post(f"{API}/semantic-search/products/search", name="products.similar")
async def similar_products(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await _body(request)
    problems = Problems()
    entity_id = body.get("entity_id")
    try:
        entity_id = str(uuid.UUID(str(entity_id)))
    except ValueError:
        if "entity_id" in body:
            problems.add(["body", "entity_id"], "uuid_parsing", "Input should be a valid UUID", entity_id)
    for name in ("entity_id", "query_text", "top_k", "min_similarity"):
        if name not in body:
            problems.add(["body", name], "missing", "Field required", body)
    text = _string(problems, body, "query_text", required=False, low=1, high=1000)
    top_k, min_similarity = body.get("top_k", 10), body.get("min_similarity", 0.0)
    if "top_k" in body and (not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= 100):
        problems.add(["body", "top_k"], "int_range", "Input should be an integer from 1 to 100", top_k)
    if "min_similarity" in body and (
        not isinstance(min_similarity, int | float)
        or isinstance(min_similarity, bool)
        or not 0 <= min_similarity <= 1
    ):
        problems.add(
            ["body", "min_similarity"], "float_range", "Input should be a number from 0 to 1", min_similarity
        )
    problems.raise_any()
    entity, _ = _entity_access(request.app[STATE], user, entity_id)
    box = request.app[SETTINGS]
    index = box.indexes.get(entity["id"])
    if index is None:
        index = box.indexes[entity["id"]] = TrigramIndex(request.app[STATE].products[entity["id"]])
    return _json(
        [
            {
                "entity_id": entity["id"],
                "entity_type": "product",
                "similarity": similarity,
                "data": product,
                "metadata": {"matched_on": field, "method": "trigram-cosine"},
            }
            for product, similarity, field in index.search(text or "", top_k, float(min_similarity))
        ]
    )


# -- the control endpoints ----------------------------------------------------

control_routes = web.RouteTableDef()


def _loopback_only(request: web.Request) -> None:
    if request.remote not in LOOPBACK:
        raise error(403, "The sandbox control endpoints answer loopback only")


@control_routes.post("/_sandbox/faults", name="control.add_fault")
async def add_fault(request: web.Request) -> web.Response:
    _loopback_only(request)
    body = await _body(request)
    known = {f.name for f in attrs.fields(Fault)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise error(422, f"Unknown fault fields: {', '.join(unknown)}")
    fault = Fault(**body)
    request.app[SETTINGS].faults.append(fault)
    return _json(attrs.asdict(fault), status=201)


@control_routes.delete("/_sandbox/faults", name="control.clear_faults")
async def clear_faults(request: web.Request) -> web.Response:
    _loopback_only(request)
    request.app[SETTINGS].faults.clear()
    return _json({"message": "faults cleared"})


@control_routes.get("/_sandbox/stats", name="control.stats")
async def stats(request: web.Request) -> web.Response:
    _loopback_only(request)
    state = request.app[STATE]
    return _json({"counts": dict(state.counts), "tokens_issued": len(state.issued_tokens)})


@control_routes.post("/_sandbox/expire-tokens", name="control.expire_tokens")
async def expire_tokens(request: web.Request) -> web.Response:
    _loopback_only(request)
    expire_access_tokens(request.app[STATE])
    return _json({"message": "access tokens expired"})


def expire_access_tokens(state: State) -> None:
    """Every access token issued so far answers 401 from now on; refresh tokens still work."""
    expired = time.monotonic() - 1
    for token, (user_id, _) in list(state.access_tokens.items()):
        state.access_tokens[token] = (user_id, expired)


# -- the application ----------------------------------------------------------


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@web.middleware
async def faults_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route.name if request.match_info.route else None
    state, box = request.app[STATE], request.app[SETTINGS]
    if route:
        state.counts[route] += 1
    if not request.path.startswith("/_sandbox/"):
        for fault in box.faults:
            if fault.matches(request):
                fault.count -= 1
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    body = fault.body if fault.body is not None else _dumps({"detail": _reason(fault.status)})
                    return web.Response(
                        status=fault.status, text=body, content_type=fault.content_type, headers=fault.headers
                    )
                break
        box.faults[:] = [f for f in box.faults if f.count > 0]
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json":
            raise
        # aiohttp's own answers (404, 405, 413) in FastAPI's shape
        detail = (
            "The file is too large: e-invoice XML uploads are limited to 5 MB"
            if exc.status == 413
            else exc.reason
        )
        raise error(exc.status, detail, {k: v for k, v in exc.headers.items() if k == "Allow"}) from None


def create_app(state: State, *, token_ttl: float = 900.0, control: bool = False) -> web.Application:
    """The sandbox application over ``state``; ``control`` adds the ``/_sandbox`` endpoints."""
    app = web.Application(middlewares=[faults_and_errors], client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
    app[STATE] = state
    box = Sandboxed(token_ttl=token_ttl)
    for inv in (inv for invoices in state.invoices.values() for inv in invoices):
        key = (
            inv["entity_id"],
            inv["seller_tax_id"],
            inv["invoice_series"],
            inv["invoice_number"].lstrip("0") or "0",
        )
        box.duplicates[key] = inv["id"]
    app[SETTINGS] = box
    app.add_routes(routes)
    if control:
        app.add_routes(control_routes)
    return app
