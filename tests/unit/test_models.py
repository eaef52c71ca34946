"""The wire records: typed readings of the sandbox's real answers, kept whole, tolerant of the unknown.

The answers are fetched once per module from a sandbox over loopback (one with
UUID ids, one with integer ids), then structured here without any network.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid
from decimal import Decimal
from typing import Any

import pytest

from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import (
    Entity,
    Invoice,
    InvoicePage,
    LineItem,
    Product,
    SimilarProduct,
    TokenPair,
    User,
    Vendor,
)
from finizi_b4b.api.records import Page, records_of

API = "/api/v1"


class Fetcher:
    """Raw JSON answers of one sandbox, as the client receives them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.token: str | None = None

    def __call__(self, method: str, path: str, body: Any = None, entity: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if entity:
            headers["X-Entity-Id"] = entity
        if method != "GET" and "/auth/" not in path:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + API + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())


def _answers(box) -> dict[str, Any]:
    from finizi_b4b.sandbox import DEMO_ADMIN

    fetch = Fetcher(box.url)
    out: dict[str, Any] = {}
    out["login"] = fetch("POST", "/auth/login", {"phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password})
    fetch.token = out["login"]["access_token"]
    out["me"] = fetch("GET", "/users/me")
    out["entities"] = fetch("GET", "/users/me/entities")
    eid = out["entities"][0]["id"]
    out["entity"] = fetch("GET", f"/entities/{eid}", entity=eid)
    out["invoices"] = fetch("GET", f"/entities/{eid}/invoices?page=1&page_size=50", entity=eid)
    invoice_id = out["invoices"]["items"][0]["id"]
    out["invoice"] = fetch("GET", f"/entities/{eid}/invoices/{invoice_id}", entity=eid)
    out["vendors"] = fetch("GET", f"/entities/{eid}/vendors?page=1&page_size=20", entity=eid)
    vendor = out["vendors"]["items"][3]
    out["vendor"] = fetch("GET", f"/entities/{eid}/vendors/{vendor['id']}", entity=eid)
    out["products"] = fetch("GET", f"/entities/{eid}/products?page=1&per_page=20", entity=eid)
    query = {"entity_id": eid, "query_text": "giấy in", "top_k": 3, "min_similarity": 0.1}
    out["similar"] = fetch("POST", "/semantic-search/products/search", query, entity=eid)
    return out


@pytest.fixture(scope="module", params=["uuid-ids", "int-ids"])
def answers(request) -> dict[str, Any]:
    from finizi_b4b.sandbox import Sandbox

    with Sandbox.in_thread(seed=0, int_ids=request.param == "int-ids") as box:
        yield _answers(box)


def bad(data: Any, cls: type) -> ApiError:
    with pytest.raises(ApiError) as err:
        cls.of(data)
    assert err.value.code == "bad_response"
    return err.value


# -- the sandbox's answers, read -------------------------------------------------------------------


def test_login_and_user(answers):
    tokens = TokenPair.of(answers["login"])
    assert tokens.access_token == answers["login"]["access_token"] and isinstance(tokens.refresh_token, str)
    assert "access" not in repr(tokens) or answers["login"]["access_token"] not in repr(tokens)
    user = User.of(answers["me"])
    assert user.id == str(answers["me"]["id"]) and user.get("email") == answers["me"]["email"]
    assert user.as_json() == answers["me"]


def test_entities(answers):
    entities = records_of(answers["entities"], Entity)
    assert len(entities) == len(answers["entities"]) >= 3
    first = entities[0]
    assert first.tax_id == answers["entities"][0]["tax_id"] and first.get("role") == "owner"
    assert [e.as_json() for e in entities] == answers["entities"]
    assert Entity.of(answers["entity"]).as_json() == answers["entity"]


def test_an_invoice_with_its_line_items(answers):
    raw = answers["invoice"]
    invoice = Invoice.of(raw)
    assert invoice.id == str(raw["id"]) and invoice.raw is raw  # a view: nothing copied
    assert invoice.issued_on == dt.date.fromisoformat(raw["issue_date"])
    assert invoice.direction in ("purchase", "sales") and invoice.status == raw["status"]
    assert invoice.currency == "VND" and invoice.series == raw["invoice_series"]
    assert (
        invoice.party("seller").tax_id == raw["seller_tax_id"]
        and invoice.party("buyer").name == raw["buyer_name"]
    )
    assert invoice.total == Decimal(raw["total_amount"]) == invoice.net + invoice.tax
    assert invoice.line_items and all(isinstance(line, LineItem) for line in invoice.line_items)
    assert invoice.line_items[0].get("vat_rate") in (0, 5, 8, 10)  # percent on invoice lines
    assert invoice.as_json() == raw


def test_a_page_of_invoices_carries_the_sums(answers):
    raw = answers["invoices"]
    page = InvoicePage.read(raw, Invoice)
    assert isinstance(page, InvoicePage) and len(page.items) == len(raw["items"]) == 50
    assert all(isinstance(item, Invoice) for item in page.items)
    assert page.total == raw["total"] and page.has_next is True
    assert page.total_amount == Decimal(raw["total_amount"]) and page.aggregations == raw["aggregations"]
    assert [item.as_json() for item in page.items] == raw["items"]
    assert page.as_json() == raw  # the page whole, its items as the JSON objects they came as
    assert page.items[0].pick(["id", "line_count", "nope"]) == {
        "id": raw["items"][0]["id"],
        "line_count": raw["items"][0]["line_count"],
    }


def test_vendors(answers):
    page = Page.read(answers["vendors"], Vendor)
    assert all(isinstance(v, Vendor) and v.tax_id for v in page.items)
    assert Vendor.of(answers["vendor"]).as_json() == answers["vendor"]


def test_products_follow_product_base(answers):
    page = Page.read(answers["products"], Product)
    for product, raw in zip(page.items, answers["products"]["items"], strict=True):
        assert product.get("code") == raw["code"]
        assert uuid.UUID(product.get("default_vat_rate_id"))
        assert product.vat_rate == raw["vat_rate"] and 0 <= product.vat_rate < 1  # a fraction
        assert product.as_json() == raw


def test_semantic_search_matches(answers):
    matches = records_of(answers["similar"], SimilarProduct)
    assert matches and all(0 <= m.similarity <= 1 and m.get("entity_type") == "product" for m in matches)
    product = matches[0].product()
    assert isinstance(product, Product) and product.id == str(answers["similar"][0]["data"]["id"])


# -- tolerance ------------------------------------------------------------------------------------


def test_unknown_fields_are_kept_and_written_back(answers):
    raw = {**answers["invoice"], "einvoice_lookup": {"code": "X1", "url": None}}
    invoice = Invoice.of(raw)
    assert invoice.get("einvoice_lookup") == {"code": "X1", "url": None}
    assert invoice.as_json() == raw


@pytest.mark.parametrize(
    ("field", "reading", "value"),
    [
        ("total_amount", "total", {"amount": 10, "unit": "VND"}),
        ("total_amount", "total", "12,5"),
        ("total_amount", "total", True),
        ("issue_date", "issued_on", "yesterday"),
        ("issue_date", "issued_on", "2025-02-30"),
        ("direction", "direction", 7),
        ("status", "status", 3),
        ("currency", "currency", ["VND"]),
        ("line_items", "line_items", "see attachment"),
    ],
)
def test_a_wrong_typed_field_reads_as_nothing_and_is_kept_as_sent(answers, field, reading, value):
    raw = {**answers["invoice"], field: value}
    invoice = Invoice.of(raw)
    assert getattr(invoice, reading) in (None, [])
    assert invoice.get(field) == value and invoice.as_json() == raw


def test_an_amount_out_of_range_is_a_bad_response_naming_the_field():
    invoice = Invoice.of({"id": "a1", "total_amount": "1e4300"})
    with pytest.raises(ApiError) as err:
        invoice.total  # noqa: B018 (the reading is what raises)
    assert err.value.code == "bad_response" and err.value.reason == "amount_out_of_range"
    assert err.value.facts == {"record": "invoice", "field": "total_amount", "id": "a1"}


def test_an_amount_written_with_an_exponent_is_read_like_any_other():
    assert Invoice.of({"id": 1, "total_amount": "1e3"}).total == Decimal(1000)


@pytest.mark.parametrize("cls", [User, Entity, Invoice, Vendor, Product])
def test_a_missing_id_is_a_bad_response(cls):
    facts = bad({"name": "no id"}, cls).facts
    assert facts == {"record": cls.what, "problem": "missing", "field": "id"}
    assert bad({"id": None}, cls).facts["problem"] == "missing"


@pytest.mark.parametrize("value", ["", 0, -3, 1.5, True, ["a"], {"id": 1}])
def test_an_id_that_is_no_id_is_a_bad_response(value):
    assert bad({"id": value}, Invoice).facts == {"record": "invoice", "problem": "wrong_shape", "field": "id"}


def test_a_record_that_is_not_an_object_is_a_bad_response():
    assert bad(["id", 1], Invoice).facts["problem"] == "not_object"
    with pytest.raises(ApiError):
        records_of({"items": []}, Entity)


@pytest.mark.parametrize("value", [42, 9_007_199_254_740_993, "3F2B8C1E-9A4D-4E7B-8C21-5D6F7A8B9C0D"])
def test_int_and_uuid_ids_are_kept_as_sent(value):
    for cls in (Entity, Invoice, Vendor, Product):
        record = cls.of({"id": value})
        assert record.id == str(value) and record.as_json() == {"id": value}


@pytest.mark.parametrize(
    ("value", "exact"),
    [
        (1_250_000, Decimal("1250000")),
        (1250000.5, Decimal("1250000.5")),
        ("1250000.50", Decimal("1250000.50")),
        ("-75000", Decimal("-75000")),
        ("1987654321098765432.0001", None),  # over 10^18: out of range
    ],
)
def test_amounts_as_numbers_and_as_decimal_strings(value, exact):
    invoice = Invoice.of({"id": 1, "total_amount": value, "line_items": [{"amount": value}]})
    if exact is None:
        with pytest.raises(ApiError):
            invoice.total  # noqa: B018
        return
    assert invoice.total == exact == invoice.line_items[0].amount_value
    assert invoice.as_json()["total_amount"] == value  # the answer is passed on as sent


@pytest.mark.parametrize("rate", [0, 0.05, 0.08, 0.1, 1])
def test_vat_rate_is_a_fraction(rate):
    assert Product.of({"id": "p1", "vat_rate": rate}).vat_rate == rate


@pytest.mark.parametrize("rate", [10, -0.1, "0.1", False])
def test_a_vat_rate_that_is_no_fraction_reads_as_nothing(rate):
    product = Product.of({"id": "p1", "vat_rate": rate})
    assert product.vat_rate is None and product.as_json() == {"id": "p1", "vat_rate": rate}


def test_a_page_item_without_an_id_is_a_bad_response():
    with pytest.raises(ApiError) as err:
        Page.read({"items": [{"id": "a"}, {"name": "no id"}]}, Vendor)
    assert err.value.facts == {"record": "vendor list item", "problem": "missing", "field": "id"}


def test_page_counts_of_the_wrong_type_read_as_nothing():
    page = Page.read({"items": [{"id": 1}], "total": "many", "has_next": 1}, Product)
    assert page.total is None and page.has_next is None
    assert page.as_json() == {"items": [{"id": 1}], "total": "many", "has_next": 1}
    assert page.items[0].id == "1"


def test_a_semantic_match_without_data_id_takes_entity_id():
    match = SimilarProduct.of(
        {"entity_id": 17, "entity_type": "product", "similarity": 0.8, "data": {"name": "Giấy A4"}}
    )
    assert match.product().id == "17" and match.product().get("name") == "Giấy A4"
    unnamed = {"entity_type": "product", "similarity": 0.8, "data": {"name": "x"}}
    with pytest.raises(ApiError):
        SimilarProduct.of(unnamed).product()
    assert bad({"similarity": 0.8, "data": "x"}, SimilarProduct).facts["field"] == "data"


def test_a_token_pair_keeps_only_its_tokens_and_never_shows_them():
    pair = TokenPair.of({"access_token": "tok-secret-1", "scope": "all"})
    assert pair.refresh_token is None and "tok-secret-1" not in repr(pair)
    assert bad({"refresh_token": "r"}, TokenPair).facts["field"] == "access_token"
    assert bad({"access_token": "a", "refresh_token": 5}, TokenPair).facts["field"] == "refresh_token"
