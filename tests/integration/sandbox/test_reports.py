"""Tax reports and their jobs over real HTTP (contract part B1), and the controls that delay or fail a job."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from finizi_b4b.sandbox import DEMO_ACCOUNTANT
from tests.integration.sandbox.client import API, big

pytestmark = pytest.mark.anyio

RATES = ("0", "5", "8", "10")


def scoped(box) -> dict:
    return {"X-Entity-Id": big(box)["id"]}


async def generate(api, report_type: str = "vat", period: str = "2025-Q2", **more) -> dict:
    url = f"{API}/entities/{big(api.box)['id']}/tax-reports/generate"
    body = {"report_type": report_type, "period": period, "upload_htkk": False, **more}
    status, answer, _, text = await api.call("POST", url, json=body, headers=scoped(api.box))
    assert status == 202, text
    return answer


async def follow(api, job_id: str, polls: int = 10) -> list[dict]:
    """The job as each poll saw it, up to its end (at most ``polls`` polls)."""
    seen = []
    for _ in range(polls):
        seen.append(await api.ok("GET", f"{API}/celery/jobs/{job_id}"))
        if seen[-1]["status"] in ("success", "failed"):
            break
    return seen


def expected_vat(box, first: str, last: str) -> dict:
    """Output and input VAT per rate, from the invoices (issued, validated or paid) dated in the period."""
    sums = {side: {rate: [Decimal(0), Decimal(0)] for rate in RATES} for side in ("output", "input")}
    for invoice in box.state.invoices[big(box)["id"]]:
        if invoice["status"] in ("draft", "cancelled") or not first <= invoice["issue_date"] <= last:
            continue
        side = "output" if invoice["direction"] == 1 else "input"
        for line in invoice["line_items"]:
            pair = sums[side][str(line["vat_rate"])]
            pair[0] += Decimal(str(line["amount"]))
            pair[1] += Decimal(str(line["tax_amount"]))
    return sums


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [("2025-Q2", "2025-04-01", "2025-06-30"), ("2026-02", "2026-02-01", "2026-02-28")],
)
async def test_a_vat_report_goes_pending_started_success_with_the_periods_figures(api, period, first, last):
    made = await generate(api, period=period)
    assert set(made) >= {"id", "download_url", "queued_jobs"} and len(made["queued_jobs"]) == 1
    seen = await follow(api, made["queued_jobs"][0])
    assert [job["status"] for job in seen] == ["pending", "started", "success"]
    report = seen[-1]["result"]
    assert (report["from_date"], report["to_date"]) == (first, last)
    sums = expected_vat(api.box, first, last)
    for side in ("output", "input"):
        for rate in RATES:
            got = report[side]["by_rate"][rate]
            assert (Decimal(got["amount"]), Decimal(got["tax_amount"])) == tuple(sums[side][rate]), (
                side,
                rate,
            )
        assert Decimal(report[side]["tax_amount"]) == sum(t for _, t in sums[side].values())
    output, inputs = Decimal(report["output"]["tax_amount"]), Decimal(report["input"]["tax_amount"])
    assert Decimal(report["payable"]) == output - inputs
    balance = await api.ok(
        "GET",
        f"{API}/entities/{big(api.box)['id']}/journal/gl/trial-balance",
        params={"from_date": first, "to_date": last},
    )
    accounts = {a["account_code"]: a for a in balance["accounts"]}
    assert Decimal(accounts["33311"]["period_credit"]) == output
    assert Decimal(accounts["1331"]["period_debit"]) == inputs
    download = await api.ok("GET", made["download_url"])
    assert download == report


@pytest.mark.parametrize("report_type", ["pit", "cit", "bctc"])
async def test_the_other_reports_end_with_their_figures(api, report_type):
    api.box.set_jobs(1)
    made = await generate(api, report_type, "2025-06")
    (job,) = await follow(api, made["queued_jobs"][0])
    assert job["status"] == "success" and job["result"]["report_type"] == report_type
    result = job["result"]
    if report_type == "cit":
        assert Decimal(result["profit"]) == Decimal(result["revenue"]) - Decimal(result["expenses"])
    if report_type == "bctc":
        sheet = result["balance_sheet"]
        assert Decimal(sheet["equity"]) == Decimal(sheet["total_assets"]) - Decimal(
            sheet["total_liabilities"]
        )


def future_period() -> str:
    return f"{dt.date.today().year + 1}-01"


@pytest.mark.parametrize(
    "body",
    [
        {"report_type": "vat", "period": "2025-13"},
        {"report_type": "vat", "period": "2025-Q5"},
        {"report_type": "vat", "period": "2025"},
        {"report_type": "vat", "period": "Q1-2025"},
        {"report_type": "vat", "period": "future"},
        {"report_type": "gtgt", "period": "2025-01"},
        {"report_type": "vat"},
        {"report_type": "vat", "period": "2025-01", "upload_htkk": "maybe"},
    ],
)
async def test_a_bad_report_request_is_422(api, body):
    if body.get("period") == "future":
        body = {**body, "period": future_period()}
    url = f"{API}/entities/{big(api.box)['id']}/tax-reports/generate"
    status, answer, _, _ = await api.call("POST", url, json=body, headers=scoped(api.box))
    assert status == 422 and isinstance(answer["detail"], list)
    assert not api.box.state.reports


async def test_generating_requires_the_header_and_access_and_is_audited(api):
    url = f"{API}/entities/{big(api.box)['id']}/tax-reports/generate"
    body = {"report_type": "vat", "period": "2025-01"}
    status, answer, _, _ = await api.call("POST", url, json=body)
    assert status == 422 and answer["detail"][0]["loc"] == ["header", "x-entity-id"]
    api.box.clear_audit()
    agent = {
        "X-Agent-Session-Id": "s",
        "X-Agent-Tool-Call-Id": "9",
        "X-Agent-Tool-Name": "generate_tax_report",
    }
    await api.ok("POST", url, json=body, headers={**scoped(api.box), **agent})
    assert [row["tool_name"] for row in api.box.audit] == ["generate_tax_report"]
    made = await generate(api)
    await api.login(DEMO_ACCOUNTANT)
    assert (await api.call("POST", url, json=body, headers=scoped(api.box)))[0] == 403
    assert (await api.call("GET", f"{API}/celery/jobs/{made['queued_jobs'][0]}"))[0] == 404
    assert (await api.call("GET", f"{API}/celery/jobs/no-such-job"))[0] == 404


async def test_a_job_can_be_made_to_fail(api):
    api.box.set_jobs(2, error="HTKK rejected the declaration")
    made = await generate(api)
    seen = await follow(api, made["queued_jobs"][0])
    assert [job["status"] for job in seen] == ["pending", "failed"]
    assert seen[-1]["error"] == "HTKK rejected the declaration" and "result" not in seen[-1]
    assert (await api.call("GET", made["download_url"]))[0] == 404
    api.box.reset_jobs()
    assert [job["status"] for job in await follow(api, (await generate(api))["queued_jobs"][0])][
        -1
    ] == "success"


async def test_a_delayed_job_stays_started_until_its_time(api):
    api.box.set_jobs(1, delay=60)  # longer than any client waits: its timeout path
    made = await generate(api)
    job = made["queued_jobs"][0]
    early = [(await api.ok("GET", f"{API}/celery/jobs/{job}"))["status"] for _ in range(3)]
    assert early == ["pending", "started", "started"]
    assert (await api.call("GET", made["download_url"]))[0] == 409
    api.box.set_jobs(1, delay=0.2)
    later = (await generate(api))["queued_jobs"][0]
    await asyncio.sleep(0.3)
    assert (await api.ok("GET", f"{API}/celery/jobs/{later}"))["status"] == "success"


async def test_the_job_plan_through_the_control_endpoints(api):
    plan = await api.ok("POST", "/_sandbox/jobs", json={"polls": 1, "error": "boom"})
    assert plan == {"polls": 1, "delay": 0.0, "error": "boom"}
    assert await api.ok("GET", "/_sandbox/jobs") == plan
    (job,) = await follow(api, (await generate(api))["queued_jobs"][0])
    assert (job["status"], job["error"]) == ("failed", "boom")
    assert (await api.call("POST", "/_sandbox/jobs", json={"polls": 0}))[0] == 422
    assert (await api.call("POST", "/_sandbox/jobs", json={"speed": 1}))[0] == 422
    assert (await api.ok("DELETE", "/_sandbox/jobs"))["polls"] == 3


async def test_import_and_payment_jobs_can_be_followed_too(api):
    invoice = next(i for i in api.box.state.invoices[big(api.box)["id"]] if i["status"] == "issued")
    url = f"{API}/entities/{big(api.box)['id']}/invoices/{invoice['id']}/payments"
    made = await api.ok("POST", url, json={"amount": 1}, headers=scoped(api.box))
    for job_id in made["queued_jobs"]:
        assert (await follow(api, job_id))[-1]["status"] == "success"


async def test_minimal_reports_answer_ids_and_jobs_only_status(minimal_api):
    made = await generate(minimal_api)
    assert set(made) == {"id", "download_url", "queued_jobs"}
    seen = await follow(minimal_api, made["queued_jobs"][0])
    assert seen == [{"status": "pending"}, {"status": "started"}, {"status": "success"}]
