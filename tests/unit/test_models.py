"""The wire models: typed fields, read from the sandbox's real answers, tolerant of what they do not know.

The answers are fetched once per module from a sandbox over loopback (one with
UUID ids, one with integer ids), then structured here without any network.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import urllib.request
import uuid
from decimal import Decimal
from typing import Any

import pytest

from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import (
    ABSENT,
    Entity,
    Invoice,
    InvoicePage,
    LineItem,
    Page,
    Product,
    SimilarProduct,
    TokenPair,
    User,
    Vendor,
    as_decimal,
    structure,
    structure_list,
    structure_page,
    unstructure,
)
from finizi_b4b.errors import ErrorCode

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
        structure(data, cls)
    assert err.value.code is ErrorCode.BAD_RESPONSE
    return err.value


# -- the sandbox's answers, structured -------------------------------------------------------------


def test_login_and_user(answers):
    tokens = structure(answers["login"], TokenPair)
    assert tokens.access_token == answers["login"]["access_token"] and isinstance(tokens.refresh_token, str)
    assert tokens.token_type == "bearer" and isinstance(tokens.expires_in, int)
    user = structure(answers["me"], User)
    assert isinstance(user.id, str) and user.email == answers["me"]["email"]
    assert user.is_super_admin is True and user.extra["is_active"] is True
    assert unstructure(user) == answers["me"]


def test_entities(answers):
    entities = structure_list(answers["entities"], Entity)
    assert len(entities) == len(answers["entities"]) >= 3
    first = entities[0]
    assert first.tax_id == answers["entities"][0]["tax_id"] and first.role == "owner"
    assert unstructure(entities) == answers["entities"]
    assert unstructure(structure(answers["entity"], Entity)) == answers["entity"]


def test_an_invoice_with_its_line_items(answers):
    raw = answers["invoice"]
    invoice = structure(raw, Invoice)
    assert isinstance(invoice.id, str | int) and invoice.id == raw["id"]
    assert invoice.issued_on == dt.date.fromisoformat(raw["issue_date"])
    assert invoice.direction in (0, 1) and invoice.status == raw["status"] and invoice.currency == "VND"
    assert invoice.seller_tax_id == raw["seller_tax_id"] and invoice.buyer_name == raw["buyer_name"]
    assert isinstance(invoice.total_amount, int) and invoice.total_amount == raw["total_amount"]
    assert as_decimal(invoice.total_amount) == as_decimal(invoice.total_amount_before_tax) + as_decimal(
        invoice.total_tax_amount
    )
    assert invoice.line_items and all(isinstance(line, LineItem) for line in invoice.line_items)
    assert invoice.line_items[0].vat_rate in (0, 5, 8, 10)  # percent on invoice lines
    assert invoice.line_items[0].extra["line_number"] == 1
    assert unstructure(invoice) == raw


def test_a_page_of_invoices_carries_the_sums(answers):
    raw = answers["invoices"]
    page = structure_page(raw, Invoice, InvoicePage)
    assert isinstance(page, InvoicePage) and len(page.items) == len(raw["items"]) == 50
    assert all(isinstance(item, Invoice) for item in page.items)
    assert page.total == raw["total"] and page.has_next is True
    assert page.total_amount == raw["total_amount"] and page.aggregations == raw["aggregations"]
    assert [unstructure(item) for item in page.items] == raw["items"]
    assert unstructure(page) == raw  # the page whole, its items as the JSON objects they came as
    assert page.items[0].pick(["id", "line_count", "nope"]) == {
        "id": raw["items"][0]["id"],
        "line_count": raw["items"][0]["line_count"],
    }


def test_vendors(answers):
    page = structure_page(answers["vendors"], Vendor)
    assert all(isinstance(v, Vendor) and v.tax_id for v in page.items)
    assert unstructure(structure(answers["vendor"], Vendor)) == answers["vendor"]


def test_products_follow_product_base(answers):
    page = structure_page(answers["products"], Product)
    for product, raw in zip(page.items, answers["products"]["items"], strict=True):
        assert product.code == raw["code"] and product.unit_of_measurement == raw["unit_of_measurement"]
        assert isinstance(product.default_sell_price, int)
        assert uuid.UUID(product.default_vat_rate_id)
        assert product.vat_rate == raw["vat_rate"] and 0 <= product.vat_rate < 1  # a fraction
        assert unstructure(product) == raw


def test_semantic_search_matches(answers):
    matches = structure_list(answers["similar"], SimilarProduct)
    assert matches and all(0 <= m.similarity <= 1 and m.entity_type == "product" for m in matches)
    product = matches[0].product()
    assert isinstance(product, Product) and product.id == answers["similar"][0]["data"]["id"]


# -- tolerance ------------------------------------------------------------------------------------


def test_unknown_fields_are_kept_and_written_back(answers):
    raw = copy.deepcopy(answers["invoice"])
    raw["einvoice_lookup"] = {"code": "X1", "url": None}
    raw["line_items"][0]["discount"] = "0.5"
    invoice = structure(raw, Invoice)
    assert invoice.extra["einvoice_lookup"] == {"code": "X1", "url": None}
    assert invoice.line_items[0].extra["discount"] == "0.5"
    assert unstructure(invoice) == raw


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_amount", {"amount": 10, "unit": "VND"}),
        ("total_amount", "12,5"),
        ("total_amount", True),
        ("issue_date", "yesterday"),
        ("issue_date", "2025-02-30"),
        ("direction", "sales"),
        ("direction", 7),
        ("status", 3),
        ("seller_tax_id", 316247298),
        ("line_items", "see attachment"),
        ("line_items", [1, 2]),
    ],
)
def test_a_wrong_typed_optional_field_is_kept_as_sent(answers, field, value):
    raw = {**answers["invoice"], field: value}
    invoice = structure(raw, Invoice)
    assert getattr(invoice, field) is ABSENT and invoice.extra[field] == value
    assert invoice.get(field) == value and unstructure(invoice) == raw


def test_null_fields_stay_null(answers):
    raw = {**answers["invoice"], "buyer_tax_id": None, "line_items": None}
    invoice = structure(raw, Invoice)
    assert invoice.buyer_tax_id is None and invoice.line_items is None
    assert unstructure(invoice) == raw


@pytest.mark.parametrize("cls", [User, Entity, Invoice, Vendor, Product])
def test_a_missing_id_is_a_bad_response(cls):
    facts = bad({"name": "no id"}, cls).facts
    assert facts == {"record": cls.__name__.lower(), "problem": "missing", "field": "id"}
    assert bad({"id": None}, cls).facts["problem"] == "missing"


@pytest.mark.parametrize("value", ["", 0, -3, 1.5, True, ["a"], {"id": 1}])
def test_an_id_that_is_no_id_is_a_bad_response(value):
    assert bad({"id": value}, Invoice).facts == {"record": "invoice", "problem": "wrong_shape", "field": "id"}


def test_a_record_that_is_not_an_object_is_a_bad_response():
    assert bad(["id", 1], Invoice).facts["problem"] == "not_object"
    with pytest.raises(ApiError):
        structure_list({"items": []}, Entity)


@pytest.mark.parametrize("value", [42, 9_007_199_254_740_993, "3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d"])
def test_int_and_uuid_ids_are_kept_as_sent(value):
    upper = value.upper() if isinstance(value, str) else value
    for cls in (Entity, Invoice, Vendor, Product):
        record = structure({"id": upper}, cls)
        assert record.id == upper and type(record.id) is type(value)
        assert unstructure(record) == {"id": upper}


@pytest.mark.parametrize(
    ("value", "exact"),
    [
        (1_250_000, Decimal("1250000")),
        (1250000.5, Decimal("1250000.5")),
        ("1250000.50", Decimal("1250000.50")),
        ("-75000", Decimal("-75000")),
        ("98765432109876543210.0001", Decimal("98765432109876543210.0001")),
    ],
)
def test_amounts_as_numbers_and_as_decimal_strings(value, exact):
    invoice = structure({"id": 1, "total_amount": value, "line_items": [{"amount": value}]}, Invoice)
    assert invoice.total_amount == value and type(invoice.total_amount) is type(value)
    assert as_decimal(invoice.total_amount) == exact == as_decimal(invoice.line_items[0].amount)
    out = unstructure(invoice)
    assert out["total_amount"] == value and type(out["total_amount"]) is type(value)


def test_what_is_not_an_amount_reads_as_no_decimal():
    assert as_decimal("12,5") is None and as_decimal(None) is None and as_decimal(True) is None


@pytest.mark.parametrize("rate", [0, 0.05, 0.08, 0.1, 1])
def test_vat_rate_is_a_fraction(rate):
    assert structure({"id": "p1", "vat_rate": rate}, Product).vat_rate == rate


@pytest.mark.parametrize("rate", [10, -0.1, "0.1", False])
def test_a_vat_rate_that_is_no_fraction_is_kept_as_sent(rate):
    product = structure({"id": "p1", "vat_rate": rate}, Product)
    assert product.vat_rate is ABSENT and product.extra == {"vat_rate": rate}
    assert unstructure(product) == {"id": "p1", "vat_rate": rate}


def test_a_page_item_without_an_id_is_a_bad_response():
    with pytest.raises(ApiError) as err:
        structure_page({"items": [{"id": "a"}, {"name": "no id"}]}, Vendor)
    assert err.value.facts == {"record": "vendor list item", "problem": "missing", "field": "id"}


def test_page_counts_of_the_wrong_type_are_left_aside():
    page = structure_page({"items": [{"id": 1}], "total": "many", "has_next": 1}, Product)
    assert page.total is ABSENT and page.has_next is ABSENT
    assert page.extra == {"total": "many", "has_next": 1}
    assert isinstance(page, Page) and page.items[0].id == 1


def test_a_semantic_match_without_data_id_takes_entity_id():
    match = structure(
        {"entity_id": 17, "entity_type": "product", "similarity": 0.8, "data": {"name": "Giấy A4"}},
        SimilarProduct,
    )
    assert match.product().id == 17 and match.product().name == "Giấy A4"
    unnamed = {"entity_type": "product", "similarity": 0.8, "data": {"name": "x"}}
    with pytest.raises(ApiError):
        structure(unnamed, SimilarProduct).product()
    assert bad({"similarity": 0.8, "data": "x"}, SimilarProduct).facts["field"] == "data"


def test_token_pair_keeps_what_it_does_not_know():
    pair = structure({"access_token": "tok-secret-1", "scope": "all", "refresh_token": 5}, TokenPair)
    assert pair.refresh_token is None and pair.extra == {"scope": "all", "refresh_token": 5}
    assert "tok-secret-1" not in repr(pair)
    assert bad({"refresh_token": "r"}, TokenPair).facts["field"] == "access_token"
