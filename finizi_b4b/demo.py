"""``finizi-b4b demo``: the sandbox, the server over stdio, and a scripted client session.

The scenarios here are also how the committed cassettes are recorded
(``finizi-b4b demo --scenario NAME --record FILE``): a full session through
every tool, a session whose token expires half-way, and a session of failures.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import IO, Any

import attrs

__all__ = ["SCENARIOS", "Step", "run_demo"]

Args = dict[str, Any] | Callable[["Context"], dict[str, Any]]

WRONG_PASSWORD = "Wrong-Password-1"  # noqa: S105 - the failures scenario expects it to be refused


@attrs.define
class Context:
    """What a scenario carries from one step to the next."""

    sandbox: Any
    workdir: Path
    values: dict[str, Any] = attrs.Factory(dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@attrs.frozen
class Step:
    tool: str
    args: Args = attrs.Factory(dict)
    expect: str = "ok"  # "ok", or the error code the call must end in
    before: Callable[[Context], None] | None = None
    keep: Callable[[Context, dict[str, Any]], None] | None = None
    show: Callable[[dict[str, Any]], str] | None = None


# -- what the steps print ----------------------------------------------------


def _count(body: dict[str, Any]) -> str:
    data = body["data"]
    more = ", more" if data.get("has_next") else ""
    return f"{len(data['items'])} of {data['total']}{more}"


def _first(body: dict[str, Any], *keys: str) -> str:
    items = body["data"]["items"]
    if not items:
        return "no items"
    return ", ".join(str(items[0].get(k)) for k in keys if k in items[0])


def _money(value: Any) -> str:
    return f"{value:,.0f} VND".replace(",", ".") if isinstance(value, int | float) else str(value)


# -- what the steps keep -----------------------------------------------------


def _keep_entities(ctx: Context, body: dict[str, Any]) -> None:
    items = body["data"]["items"]
    busiest = max(items, key=lambda e: e.get("invoice_count", 0))
    ctx.values.update(
        entity_id=busiest["id"], entity_tax_id=busiest.get("tax_id"), entity_name=busiest["name"]
    )


def _keep(name: str, path: Callable[[dict[str, Any]], Any]) -> Callable[[Context, dict[str, Any]], None]:
    def keep(ctx: Context, body: dict[str, Any]) -> None:
        ctx.values[name] = path(body)

    return keep


def _fresh_invoice(ctx: Context) -> dict[str, Any]:
    """Write a new national-format XML invoice bought by the chosen entity; return the import arguments."""
    from finizi_b4b.einvoice_xml import build_einvoice_xml

    number = f"{int(time.time()) % 10_000_000:07d}"
    xml = build_einvoice_xml(
        series="C26TDM",
        number=number,
        issue_date=date(2026, 3, 15),
        seller={
            "name": "Công ty TNHH Cà Phê Cao Nguyên",
            "tax_id": "6001234567",
            "address": "45 Lê Duẩn, Buôn Ma Thuột, Đắk Lắk",
        },
        buyer={"name": ctx["entity_name"], "tax_id": ctx["entity_tax_id"], "address": "TP. Hồ Chí Minh"},
        lines=[
            {
                "name": "Cà phê Robusta rang xay 500g",
                "unit": "gói",
                "quantity": 40,
                "unit_price": 95_000,
                "vat_rate": 8,
            },
            {
                "name": "Phí vận chuyển",
                "unit": "chuyến",
                "quantity": 1,
                "unit_price": 250_000,
                "vat_rate": 10,
            },
        ],
    )
    path = ctx.workdir / f"C26TDM-{number}.xml"
    path.write_bytes(xml)
    ctx.values["xml_path"] = str(path)
    return {"entity_id": ctx["entity_id"], "file_path": str(path)}


def _new_tax_id() -> str:
    return f"03{int(time.time() * 1000) % 100_000_000:08d}"


# -- the scenarios -----------------------------------------------------------

FULL = [
    Step("login", {}, show=lambda b: b["message"]),
    Step(
        "whoami", show=lambda b: f"{b['user'].get('email')} (super admin: {b['user'].get('is_super_admin')})"
    ),
    Step(
        "list_entities",
        {"detailed": True},
        keep=_keep_entities,
        show=lambda b: _count(b) + "; " + _first(b, "name"),
    ),
    Step(
        "get_entity",
        lambda c: {"entity_id": c["entity_id"]},
        show=lambda b: f"{b['data']['name']}, MST {b['data'].get('tax_id')}",
    ),
    Step(
        "create_entity",
        lambda c: {
            "name": "Công ty TNHH Thử Nghiệm Sao Mai",
            "tax_id": _new_tax_id(),
            "address": "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh",
        },
        keep=_keep("new_entity_id", lambda b: b["data"]["id"]),
        show=lambda b: f"created {b['data']['id']}",
    ),
    Step(
        "update_entity",
        lambda c: {"entity_id": c["new_entity_id"], "address": "45 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh"},
        show=lambda b: f"address now {b['data'].get('address')}",
    ),
    Step(
        "list_invoices",
        lambda c: {"entity_id": c["entity_id"], "page_size": 50, "direction": "purchase", "status": "paid"},
        keep=_keep("invoice_id", lambda b: b["data"]["items"][0]["id"]),
        show=lambda b: _count(b) + "; first " + _first(b, "invoice_series", "invoice_number", "seller_name"),
    ),
    Step(
        "get_invoice",
        lambda c: {"entity_id": c["entity_id"], "invoice_id": c["invoice_id"]},
        show=lambda b: (
            f"{b['data']['invoice_series']}/{b['data']['invoice_number']}: "
            f"{len(b['data']['line_items'])} lines, total {_money(b['data']['total_amount'])}"
        ),
    ),
    Step(
        "get_invoice_statistics",
        lambda c: {"entity_id": c["entity_id"], "date_from": "2025-01-01", "date_to": "2025-12-31"},
        show=lambda b: f"{b['data']['total_count']} invoices in 2025, {_money(b['data']['total_amount'])}",
    ),
    Step(
        "list_vendors",
        lambda c: {"entity_id": c["entity_id"], "page_size": 10},
        keep=_keep("vendor_id", lambda b: b["data"]["items"][0]["id"]),
        show=lambda b: _count(b) + "; first " + _first(b, "name", "tax_id"),
    ),
    Step(
        "get_vendor",
        lambda c: {"entity_id": c["entity_id"], "vendor_id": c["vendor_id"]},
        show=lambda b: b["data"]["name"],
    ),
    Step(
        "list_products",
        lambda c: {"entity_id": c["entity_id"], "page_size": 5},
        keep=_keep("product_name", lambda b: b["data"]["items"][0]["name"]),
        show=lambda b: _count(b) + "; first " + _first(b, "name", "unit", "unit_price"),
    ),
    Step(
        "search_similar_products",
        lambda c: {"entity_id": c["entity_id"], "query": c["product_name"], "top_k": 3},
        show=lambda b: "; ".join(f"{i['name']} ({i['similarity']:.2f})" for i in b["data"]["items"]),
    ),
    Step("import_invoice_xml", _fresh_invoice, show=lambda b: b["message"]),
    Step(
        "import_invoice_xml",
        lambda c: {"entity_id": c["entity_id"], "file_path": c["xml_path"]},
        expect="conflict",
    ),
    Step("logout", show=lambda b: b["message"]),
    Step("whoami", expect="not_authenticated"),
]


def _expire(ctx: Context) -> None:
    ctx.sandbox.expire_access_tokens()


EXPIRY = [
    Step("login", {}, show=lambda b: b["message"]),
    Step(
        "list_entities", keep=lambda c, b: c.values.update(entity_id=b["data"]["items"][0]["id"]), show=_count
    ),
    Step(
        "list_invoices",
        lambda c: {"entity_id": c["entity_id"], "page_size": 5},
        keep=_keep("invoice_id", lambda b: b["data"]["items"][0]["id"]),
        show=_count,
    ),
    Step(
        "get_invoice",
        lambda c: {"entity_id": c["entity_id"], "invoice_id": c["invoice_id"]},
        before=_expire,
        show=lambda b: "the token had expired; refreshed and retried: " + b["data"]["invoice_number"],
    ),
    Step("whoami", show=lambda b: b["user"].get("email", "")),
    Step("logout", show=lambda b: b["message"]),
    Step("list_entities", expect="not_authenticated"),
]


def _fault_503(ctx: Context) -> None:
    body = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
    ctx.sandbox.inject_fault(status=503, count=1, body=body, content_type="text/html")


FAILURES = [
    Step("whoami", expect="not_authenticated"),
    Step("login", {"phone": "+84909495665", "password": WRONG_PASSWORD}, expect="invalid_credentials"),
    Step("login", {"phone": "0901234567", "password": "Demo123@"}, show=lambda b: b["message"]),
    Step(
        "list_entities",
        keep=lambda c, b: c.values.update(own_entity=b["data"]["items"][0]["id"]),
        show=_count,
    ),
    Step("get_entity", {"entity_id": "../../etc/passwd"}, expect="invalid_arguments"),
    Step(
        "get_invoice",
        lambda c: {"entity_id": c["own_entity"], "invoice_id": "00000000-0000-4000-8000-000000000000"},
        expect="not_found",
    ),
    Step("update_entity", lambda c: {"entity_id": c["own_entity"], "address": "Hà Nội"}, expect="not_found"),
    Step("logout", show=lambda b: b["message"]),
    Step("login", {}, show=lambda b: b["message"]),
    Step("list_entities", {"detailed": True}, keep=_keep_entities, show=_count),
    Step("import_invoice_xml", _fresh_invoice, show=lambda b: b["message"]),
    Step(
        "import_invoice_xml",
        lambda c: {"entity_id": c["entity_id"], "file_path": c["xml_path"]},
        expect="conflict",
    ),
    Step(
        "import_invoice_xml",
        lambda c: {
            "entity_id": c["entity_id"],
            "xml_content": "<HDon><DLHDon><TTChung><KHHDon>C26TAA</KHHDon></TTChung></DLHDon></HDon>",
        },
        expect="validation_failed",
    ),
    Step(
        "import_invoice_xml",
        lambda c: {"entity_id": c["entity_id"], "xml_content": "<HDon><unclosed></HDon>"},
        expect="invalid_xml",
    ),
    Step(
        "list_invoices", lambda c: {"entity_id": c["entity_id"], "page_size": 500}, expect="invalid_arguments"
    ),
    Step("list_entities", before=_fault_503, expect="backend_unavailable"),
    Step("list_entities", show=lambda b: "recovered: " + _count(b)),
]

SCENARIOS: dict[str, list[Step]] = {"full": FULL, "expiry": EXPIRY, "failures": FAILURES}


# -- running -----------------------------------------------------------------


def _server_env(sandbox: Any, record: str | None) -> dict[str, str]:
    from finizi_b4b.sandbox import DEMO_ADMIN

    env = {
        "FINIZI_API_URL": sandbox.url,
        "FINIZI_PHONE": DEMO_ADMIN.phone,
        "FINIZI_PASSWORD": DEMO_ADMIN.password,
        "FINIZI_B4B_LOG_LEVEL": "INFO",
    }
    if record:
        env["FINIZI_B4B_RECORD"] = str(Path(record).resolve())
    for key in ("PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


async def run_steps(
    client: Any, steps: list[Step], ctx: Context, out: Callable[[str], None]
) -> tuple[int, set[str]]:
    """Run the steps; return how many went wrong and which tools were called."""
    failures = 0
    tools: set[str] = set()
    for number, step in enumerate(steps, start=1):
        if step.before is not None:
            step.before(ctx)
        args = step.args(ctx) if callable(step.args) else dict(step.args)
        shown_args = {k: ("***" if k == "password" else v) for k, v in args.items()}
        result = await client.call_tool(step.tool, args)
        tools.add(step.tool)
        body = result.structured_content or json.loads(result.content[0].text)
        outcome = body.get("code", "ok") if result.is_error else "ok"
        good = outcome == step.expect
        if good and not result.is_error:
            if step.keep is not None:
                step.keep(ctx, body)
            summary = step.show(body) if step.show is not None else "ok"
        elif good:
            summary = f"expected {outcome}: {body['error']}"
        else:
            summary = f"UNEXPECTED {outcome} (wanted {step.expect}): {body.get('error', body)}"
            failures += 1
        call = f"{step.tool} {json.dumps(shown_args, ensure_ascii=False)}"
        if len(call) > 70:
            call = call[:69] + "…"
        out(f"{number:3}. {call:<72} {'ok ' if good else 'BAD'} {summary}")
    return failures, tools


async def _run(scenario: str, record: str | None, out: Callable[[str], None], errlog: IO[str]) -> int:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    from finizi_b4b.sandbox import Sandbox

    started = time.perf_counter()
    async with Sandbox(port=0) as sandbox:
        with tempfile.TemporaryDirectory(prefix="finizi-b4b-demo-") as workdir:
            params = StdioServerParameters(
                command=sys.executable, args=["-m", "finizi_b4b", "serve"], env=_server_env(sandbox, record)
            )
            async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
                tools = await client.list_tools()
                out(
                    f"finizi-b4b demo ({scenario}): sandbox API at {sandbox.url}; server over stdio, "
                    f"protocol {client.protocol_version}, {len(tools.tools)} tools"
                )
                ctx = Context(sandbox=sandbox, workdir=Path(workdir))
                failures, called = await run_steps(client, SCENARIOS[scenario], ctx, out)
    elapsed = time.perf_counter() - started
    steps = len(SCENARIOS[scenario])
    verdict = "all as expected" if not failures else f"{failures} NOT as expected"
    out(f"{len(called)} tools, {steps} calls, {verdict}, in {elapsed:.1f} s")
    return 1 if failures else 0


def run_demo(*, scenario: str = "full", record: str | None = None, verbose: bool = False) -> int:
    import anyio

    with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
        try:
            code = anyio.run(_run, scenario, record, lambda line: print(line, flush=True), errlog)
        except Exception as exc:  # the demo must explain itself, not dump a traceback group
            print(f"finizi-b4b demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = 1
        if code or verbose:
            errlog.seek(0)
            log = errlog.read().strip()
            if log:
                print("--- server log (stderr) ---\n" + log, file=sys.stderr)
    return code
