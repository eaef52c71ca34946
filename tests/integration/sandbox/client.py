"""A tiny raw-HTTP client for the sandbox contract tests, and the helpers the revision-2 tests share."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import aiohttp

from finizi_b4b.einvoice_xml import build_einvoice_xml
from finizi_b4b.sandbox import DEMO_ADMIN, Sandbox

API = "/api/v1"


class Api:
    """Calls the sandbox over loopback with aiohttp; answers (status, json body or None, headers, text)."""

    def __init__(self, box: Sandbox, http: aiohttp.ClientSession) -> None:
        self.box, self.http, self.token = box, http, None

    async def call(self, method: str, path: str, *, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        bearer = token or self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        async with self.http.request(method, self.box.url + path, headers=headers, **kwargs) as resp:
            text = await resp.text()
            body = None
            if resp.content_type == "application/json" and text:
                body = json.loads(text)
            return resp.status, body, resp.headers, text

    async def login(self, user=DEMO_ADMIN, phone: str | None = None) -> dict:
        status, body, _, _ = await self.call(
            "POST", f"{API}/auth/login", json={"phone": phone or user.phone, "password": user.password}
        )
        assert status == 200, body
        self.token = body["access_token"]
        return body

    async def ok(self, method: str, path: str, **kwargs):
        status, body, _, text = await self.call(method, path, **kwargs)
        assert 200 <= status < 300, (status, text)
        return body


async def client_for(**options):
    """A started sandbox with ``options``, an HTTP session, and a client logged in as the administrator."""
    box = Sandbox(seed=0, **options)
    await box.start()
    http = aiohttp.ClientSession()
    api = Api(box, http)
    await api.login()
    return box, http, api


def big(box: Sandbox) -> dict:
    return next(iter(box.state.entities.values()))


def xml(box: Sandbox, *, buyer: str | None = None, seller: str = "0301234567", number: str | None = None):
    return build_einvoice_xml(
        series="C26TKT",
        number=number or str(uuid.uuid4().int % 10**7),
        issue_date=dt.date(2026, 4, 2),
        seller={"name": "Công ty TNHH In Ấn Phương Nam", "tax_id": seller, "address": "Quận 3"},
        buyer={"name": "Chi nhánh Hà Nội", "tax_id": buyer or big(box)["tax_id"]},
        lines=[{"name": "Giấy in A4", "unit": "ram", "quantity": 10, "unit_price": 78000, "vat_rate": 10}],
    )


async def upload(api: Api, content: bytes, *, headers: dict | None = None, **params):
    form = aiohttp.FormData()  # a fresh form each call: a new multipart boundary each time
    form.add_field("file", content, filename="invoice.xml", content_type="application/xml")
    url = f"{API}/entities/{big(api.box)['id']}/invoices/xml"
    return await api.call("POST", url, data=form, headers=dict(headers or {}), params=params)


def count_invoices(box: Sandbox) -> int:
    return sum(len(invoices) for invoices in box.state.invoices.values())
