"""Recording tool calls against the sandbox, and replaying them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client

from finizi_b4b.api.redact import Redactor, is_marker
from finizi_b4b.api.transport import ApiRequest
from finizi_b4b.cassette import CassetteError, Recorder, read_cassette, replay_file
from finizi_b4b.cassette.format import RECORDED_HEADERS, HeaderMarkers, request_record
from finizi_b4b.runtime import default_transport
from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN, Sandbox
from finizi_b4b.server import build_server
from tests.conftest import body_of, holds_secret, invoice_xml, settings_for, string_leaves

pytestmark = pytest.mark.anyio


def recording_server(box, recorder: Recorder):
    """A server against ``box`` whose tool calls ``recorder`` writes down."""
    return build_server(
        settings_for(box),
        transport_factory=recorder.wrap_factory(default_transport),
        observers=(recorder,),
    )


async def record_session(box, world, path: Path, workdir: Path) -> None:
    """Log in, read, let the token expire, import a file, fail a few ways, log out."""
    xml = workdir / "C26REC.xml"
    xml.write_bytes(invoice_xml("C26REC", world.big_tax_id))
    with Recorder.open(path) as recorder:
        async with Client(recording_server(box, recorder), mode="legacy") as client:
            for tool, arguments in (
                ("whoami", {}),
                ("login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password}),
                ("get_entity", {"entity_id": world.big}),
                ("login", {}),
                ("list_entities", {"detailed": True}),
                ("list_invoices", {"entity_id": world.big, "page_size": 3, "status": "paid"}),
            ):
                await client.call_tool(tool, arguments)
            box.expire_access_tokens()
            await client.call_tool("get_entity", {"entity_id": world.big})
            await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_path": str(xml)})
            await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_path": str(xml)})
            box.inject_fault(503, body="<html>down</html>", content_type="text/html")
            await client.call_tool("list_vendors", {"entity_id": world.big})
            await client.call_tool("list_products", {"entity_id": world.big, "page": 0})
            await client.call_tool("logout", {})
            await client.call_tool("whoami", {})
    xml.unlink()  # replay must not need the original file


@pytest.fixture
async def cassette(sandbox, world, tmp_path) -> Path:
    path = tmp_path / "session.jsonl"
    await record_session(sandbox, world, path, tmp_path)
    return path


def failed(outcomes) -> list[str]:
    return [o.describe() for o in outcomes if not o.ok]


async def test_a_recorded_session_replays_all_ok(cassette):
    calls = read_cassette(cassette)
    assert [c["tool"] for c in calls][:3] == ["whoami", "login", "get_entity"]
    assert len(calls) == 13
    refresh = [x for c in calls for x in c["exchanges"] if x["request"]["path"] == "/api/v1/auth/refresh"]
    assert len(refresh) == 1, "the recording holds the refresh after expiry"
    assert calls[7]["exchanges"][-1]["request"]["upload"]["filename"] == "C26REC.xml"
    outcomes = await replay_file(cassette)
    assert len(outcomes) == 13
    assert failed(outcomes) == []


async def test_no_password_or_token_in_the_cassette(cassette, sandbox):
    text = cassette.read_text(encoding="utf-8")
    secrets = [DEMO_ADMIN.password, DEMO_ACCOUNTANT.password, *sandbox.issued_tokens]
    assert len(secrets) > 6
    for secret in secrets:
        assert secret not in text
    assert "[REDACTED:access-token-1]" in text and "[REDACTED:password-1]" in text
    assert "Bearer ey" not in text


def rewrite(path: Path, change) -> None:
    calls = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    change(calls)
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in calls), encoding="utf-8")


async def test_a_changed_response_shows_a_diff_naming_the_tool(cassette):
    def rename(calls):
        call = next(c for c in calls if c["tool"] == "list_entities")
        call["exchanges"][0]["response"]["json"][0]["name"] = "Công ty Đổi Tên"

    rewrite(cassette, rename)
    bad = [o for o in await replay_file(cassette) if not o.ok]
    assert [o.tool for o in bad] == ["list_entities"]
    report = bad[0].describe()
    assert "list_entities" in report
    lines = [line.strip() for line in report.splitlines()]
    assert '+ "name": "Công ty Đổi Tên",' in [line[0] + " " + line[1:].strip() for line in lines if line]
    assert '- "name": "Công ty TNHH Thương mại Dịch vụ Sao Việt",' in [
        line[0] + " " + line[1:].strip() for line in lines if line
    ]


async def test_a_deleted_exchange_is_reported_as_a_missing_request(cassette, world):
    def drop(calls):
        call = next(c for c in calls if c["tool"] == "list_invoices")
        del call["exchanges"][0]

    rewrite(cassette, drop)
    bad = [o for o in await replay_file(cassette) if not o.ok]
    assert [o.tool for o in bad] == ["list_invoices"]
    assert f"request not in the cassette: GET /api/v1/entities/{world.big}/invoices?page=1" in bad[0].report


async def test_a_request_that_changed_is_reported_with_what_changed(cassette):
    def change(calls):
        call = next(c for c in calls if c["tool"] == "list_invoices")
        call["arguments"]["page_size"] = 4

    rewrite(cassette, change)
    bad = [o for o in await replay_file(cassette) if not o.ok]
    assert [o.tool for o in bad] == ["list_invoices"]
    assert "request not in the cassette" in bad[0].report
    assert "page_size=4" in bad[0].report and "(the cassette holds GET" in bad[0].report


async def test_replay_needs_no_network(cassette, monkeypatch):
    def no_network(settings):
        raise AssertionError("replay opened a real transport")

    monkeypatch.setattr("finizi_b4b.runtime.default_transport", no_network)
    assert failed(await replay_file(cassette)) == []


async def test_an_unknown_format_version_is_refused(tmp_path):
    path = tmp_path / "future.jsonl"
    path.write_text(json.dumps({"version": 99, "tool": "whoami"}) + "\n")
    with pytest.raises(CassetteError, match="format version 99 is not supported"):
        await replay_file(path)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "finizi_b4b", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_the_replay_command_exit_codes(tmp_path):
    future = tmp_path / "future.jsonl"
    future.write_text(json.dumps({"version": 3}) + "\n")
    refused = run_cli("replay", str(future))
    assert refused.returncode == 2 and "version 3 is not supported" in refused.stderr
    assert run_cli("replay", str(tmp_path / "missing.jsonl")).returncode == 2


async def test_the_replay_command_prints_ok_and_a_summary(cassette):
    done = await anyio.to_thread.run_sync(lambda: run_cli("replay", str(cassette)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sum(line.startswith("ok ") for line in done.stdout.splitlines()) == 13
    assert done.stdout.rstrip().endswith("13 calls replayed: 13 ok, 0 differ")

    rewrite(cassette, lambda calls: calls[4]["result"]["structuredContent"].update(success=False))
    changed = await anyio.to_thread.run_sync(lambda: run_cli("replay", str(cassette)))
    assert changed.returncode == 1
    assert "FAIL session.jsonl #5 list_entities" in changed.stdout


async def test_replay_against_a_live_sandbox_reports_differences(tmp_path, world, monkeypatch):
    path = tmp_path / "reads.jsonl"
    async with Sandbox(seed=0) as recorded_on:
        with Recorder.open(path) as recorder:
            async with Client(recording_server(recorded_on, recorder), mode="legacy") as client:
                await client.call_tool("login", {})
                await client.call_tool("list_entities", {})
                await client.call_tool("get_entity", {"entity_id": world.big})
    monkeypatch.setenv("FINIZI_PHONE", DEMO_ADMIN.phone)
    monkeypatch.setenv("FINIZI_PASSWORD", DEMO_ADMIN.password)
    async with Sandbox(seed=0) as same:
        assert failed(await replay_file(path, against=same.url)) == []
    async with Sandbox(seed=1) as other:
        bad = [o.tool for o in await replay_file(path, against=other.url) if not o.ok]
    assert bad == ["login", "list_entities", "get_entity"]  # other ids, other data


async def test_serve_records_when_the_environment_says_so(sandbox, tmp_path):
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    path = tmp_path / "desktop.jsonl"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "FINIZI_API_URL": sandbox.url,
        "FINIZI_PHONE": DEMO_ADMIN.phone,
        "FINIZI_PASSWORD": DEMO_ADMIN.password,
        "FINIZI_B4B_RECORD": str(path),
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "finizi_b4b"], env=env)
    with (tmp_path / "stderr").open("w") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            assert body_of(await client.call_tool("login", {}))["success"]
            await client.call_tool("whoami", {})
    calls = read_cassette(path)
    assert [c["tool"] for c in calls] == ["login", "whoami"]
    assert [c["seq"] for c in calls] == [1, 2]
    text = path.read_text(encoding="utf-8")
    assert all(secret not in text for secret in [DEMO_ADMIN.password, *sandbox.issued_tokens])
    assert failed(await replay_file(path)) == []


# -- automatic sign-in ---------------------------------------------------------------


async def record_calls(box, path: Path, calls, **settings) -> None:
    with Recorder.open(path) as recorder:
        server = build_server(
            settings_for(box, **settings),
            transport_factory=recorder.wrap_factory(default_transport),
            observers=(recorder,),
        )
        async with Client(server, mode="legacy") as client:
            for tool, arguments in calls:
                await client.call_tool(tool, arguments)


async def test_a_session_that_signed_in_by_itself_replays_the_same(sandbox, world, tmp_path):
    path = tmp_path / "auto.jsonl"
    script = [("whoami", {}), ("get_entity", {"entity_id": world.big}), ("logout", {})]
    await record_calls(sandbox, path, script)
    calls = read_cassette(path)
    assert "login" not in [c["tool"] for c in calls]
    assert calls[0]["signin"] == {"phone": DEMO_ADMIN.phone, "password": "[REDACTED:password-1]"}
    assert ["signin" in c for c in calls] == [True, False, False], "said once"
    assert DEMO_ADMIN.password not in path.read_text(encoding="utf-8")
    assert failed(await replay_file(path)) == []

    rewrite(path, lambda lines: lines[0].pop("signin"))  # as recorded before lines said it
    assert failed(await replay_file(path)) == [], "the sign-in exchange of whoami tells"

    rewrite(path, lambda lines: lines[0].update(signin=None))
    bad = [o for o in await replay_file(path) if not o.ok]
    assert [o.tool for o in bad][:2] == ["whoami", "get_entity"], "replayed with no credentials"


async def test_a_session_without_credentials_replays_without_them(sandbox, tmp_path):
    path = tmp_path / "none.jsonl"
    login = {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password}
    await record_calls(
        sandbox, path, [("whoami", {}), ("login", login), ("whoami", {})], phone=None, password=None
    )
    calls = read_cassette(path)
    assert calls[0]["signin"] is None
    assert calls[0]["result"]["isError"] is True
    assert failed(await replay_file(path)) == []

    def configured(lines):
        lines[0]["signin"] = {"phone": DEMO_ADMIN.phone, "password": "[REDACTED:password-2]"}

    rewrite(path, configured)
    bad = [o for o in await replay_file(path) if not o.ok]
    assert [o.tool for o in bad][:1] == ["whoami"], "a replay with credentials signs in where none did"


async def test_a_preview_and_a_batch_replay_once_their_files_are_gone(sandbox, world, tmp_path):
    first, second = tmp_path / "C26PRE.xml", tmp_path / "C26BAT.xml"
    first.write_bytes(invoice_xml("C26PRE", world.big_tax_id))
    second.write_bytes(invoice_xml("C26BAT", world.big_tax_id))
    path = tmp_path / "files.jsonl"
    on_big = {"entity_id": world.big}
    await record_calls(sandbox, path, [
        ("import_invoice_xml", {**on_big, "file_path": str(first), "preview": True}),
        ("import_invoice_xml", {**on_big, "file_path": str(first)}),
        ("import_invoice_xml", {**on_big, "file_paths": [str(first), str(second)]}),
    ])  # fmt: skip
    first.unlink()
    second.unlink()
    calls = read_cassette(path)
    batch = calls[2]["result"]["structuredContent"]["data"]["files"]
    expected = [(str(first), "already_imported"), (str(second), "imported")]
    assert [(f["file"], f["outcome"]) for f in batch] == expected
    assert failed(await replay_file(path)) == [], "the preview's file is the one the next call uploaded"

    rewrite(path, lambda lines: lines.__delitem__(slice(1, None)))  # a lone preview: its file was never kept
    bad = [o for o in await replay_file(path) if not o.ok]
    assert [(o.tool, o.seq) for o in bad] == [("import_invoice_xml", 1)]


# -- request headers (format version 2) -------------------------------------------


def requests_of(call):
    return [exchange["request"] for exchange in call["exchanges"]]


async def test_every_request_records_the_headers_that_matter(cassette, world):
    calls = read_cassette(cassette)
    call_ids = []
    for call in calls:
        ids = {r["headers"]["X-Agent-Tool-Call-Id"] for r in requests_of(call)}
        assert len(ids) <= 1, f"#{call['seq']} {call['tool']}: one tool-call id per call, got {ids}"
        call_ids += ids
        for request in requests_of(call):
            headers = request["headers"]
            assert set(headers) <= set(RECORDED_HEADERS)
            assert headers["X-Agent-Tool-Name"] == call["tool"]
            assert headers["X-Agent-Session-Id"] == "[session-id-1]"
            if request["path"].startswith(f"/api/v1/entities/{world.big}"):
                assert headers["X-Entity-Id"] == world.big
            if request["method"] != "GET" and "/auth/" not in request["path"]:
                assert re.fullmatch(r"\[idempotency-key-\d+\]", headers["Idempotency-Key"])
            else:
                assert "Idempotency-Key" not in headers
    assert len(call_ids) == len(set(call_ids)) >= 10, "each call its own tool-call id"
    assert all(re.fullmatch(r"\[tool-call-id-\d+\]", i) for i in call_ids)
    upload = next(r for c in calls for r in requests_of(c) if "upload" in r)
    assert upload["headers"]["Content-Type"] == "multipart/form-data"


def test_an_authorization_header_or_token_is_never_recorded():
    request = ApiRequest(
        "PUT",
        "/api/v1/entities/e1",
        json={"address": "Hà Nội"},
        token="the-access-token-value",
        headers=(
            ("Authorization", "Bearer the-access-token-value"),
            ("Cookie", "session=cookie-value"),
            ("X-Entity-Id", "e1"),
            ("Idempotency-Key", "3f0c8a52-0000-4000-8000-000000000001"),
        ),
    )
    record = request_record(request, Redactor(numbered=True), HeaderMarkers())
    text = json.dumps(record)
    assert "the-access-token-value" not in text and "cookie-value" not in text
    assert record["auth"] == "[REDACTED:access-token-1]"
    assert record["headers"] == {
        "Content-Type": "application/json",
        "X-Entity-Id": "e1",
        "Idempotency-Key": "[idempotency-key-1]",
    }


@pytest.mark.parametrize("password", ["Z", "Zq", "Zq9", "Zq9!x", "Zq9!xW", "Zq9!xW-long-enough-Pa55" * 3])
async def test_a_cassette_never_holds_a_password_or_token_whatever_its_length(sandbox, tmp_path, password):
    path = tmp_path / "secrets.jsonl"
    settings = settings_for(sandbox, password=password)
    with Recorder.open(path) as recorder:
        server = build_server(
            settings, transport_factory=recorder.wrap_factory(default_transport), observers=(recorder,)
        )
        async with Client(server, mode="legacy") as client:
            await client.call_tool("login", {})  # refused: the configured password is wrong
            await client.call_tool("login", {"phone": DEMO_ADMIN.phone, "password": password})
            await client.call_tool("login", {"phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password})
            await client.call_tool("list_entities", {})
            await client.call_tool("logout", {})
    calls = read_cassette(path)
    assert len(calls) == 5 and sandbox.issued_tokens
    secrets = [password, DEMO_ADMIN.password, *sandbox.issued_tokens]
    for call in calls:
        for text in string_leaves(call):
            assert not any(holds_secret(text, secret) for secret in secrets), (call["seq"], text)
        for request in requests_of(call):
            assert {k.lower() for k in request["headers"]}.isdisjoint({"authorization", "cookie"})
            assert request["auth"] is None or is_marker(request["auth"])


async def test_a_retried_write_re_sends_the_same_idempotency_key(sandbox, world, tmp_path):
    path = tmp_path / "retry.jsonl"
    xml = invoice_xml("C26RTY", world.big_tax_id).decode()
    with Recorder.open(path) as recorder:
        async with Client(recording_server(sandbox, recorder), mode="legacy") as client:
            await client.call_tool("login", {})
            sandbox.inject_fault(kind="lose_answer", path=f"/api/v1/entities/{world.big}/invoices/xml")
            imported = await client.call_tool(
                "import_invoice_xml", {"entity_id": world.big, "xml_content": xml}
            )
            assert not imported.is_error
    call = read_cassette(path)[-1]
    lost, answered = call["exchanges"]
    assert "error" in lost and answered["response"]["status"] == 201
    keys = [x["request"]["headers"]["Idempotency-Key"] for x in (lost, answered)]
    assert keys == ["[idempotency-key-1]", "[idempotency-key-1]"]
    assert failed(await replay_file(path)) == []

    def new_key_on_retry(calls):
        calls[-1]["exchanges"][1]["request"]["headers"]["Idempotency-Key"] = "[idempotency-key-2]"

    rewrite(path, new_key_on_retry)
    bad = [o for o in await replay_file(path) if not o.ok]
    assert [o.tool for o in bad] == ["import_invoice_xml"]
    changed = "header Idempotency-Key: recorded '[idempotency-key-2]', sent '[idempotency-key-1]'"
    assert changed in bad[0].report


async def test_replay_notices_a_dropped_entity_header(cassette, world, monkeypatch):
    from finizi_b4b.api import client as api_client

    real = api_client.api_headers

    def without_entity(request, **kwargs):
        return tuple((k, v) for k, v in real(request, **kwargs) if k.lower() != "x-entity-id")

    monkeypatch.setattr(api_client, "api_headers", without_entity)
    bad = [o for o in await replay_file(cassette) if not o.ok]
    assert {o.tool for o in bad} >= {"get_entity", "list_invoices", "import_invoice_xml", "list_vendors"}
    assert f"header X-Entity-Id: recorded '{world.big}', sent none" in bad[0].report


async def test_a_version_1_cassette_replays_without_headers(cassette):
    def as_version_1(calls):
        for call in calls:
            call["version"] = 1
            for request in requests_of(call):
                del request["headers"]

    rewrite(cassette, as_version_1)
    assert failed(await replay_file(cassette)) == []
    rewrite(cassette, lambda calls: [call.update(version=2) for call in calls])
    assert len(failed(await replay_file(cassette))) >= 10, "version 2 compares the headers"


# -- the scenarios the cassettes are recorded from ----------------------------------


@pytest.mark.parametrize("name", ["full", "expiry", "failures"])
async def test_each_scenario_goes_as_expected_in_process(sandbox, name):
    from finizi_b4b.devtools.scenarios import SCENARIOS, mcp_caller, play

    async with Client(build_server(settings_for(sandbox)), mode="legacy") as client:
        run = await play(mcp_caller(client), name, sandbox=sandbox)
    assert [o.summary for o in run.outcomes if not o.good] == []
    assert len(run.outcomes) == len(SCENARIOS[name])
    if name == "full":
        assert run.tools == {t.name for t in await _list_tools(sandbox)}, "every tool"


async def _list_tools(box):
    async with Client(build_server(settings_for(box)), mode="legacy") as client:
        return (await client.list_tools()).tools


async def test_the_similarity_step_fails_when_the_top_hit_is_another_product(sandbox, monkeypatch):
    from finizi_b4b.devtools.scenarios import mcp_caller, play, sessions

    monkeypatch.setattr(sessions, "SIMILAR_PRODUCT", "Gạo ST25")
    async with Client(build_server(settings_for(sandbox)), mode="legacy") as client:
        run = await play(mcp_caller(client), "full", sandbox=sandbox)
    bad = [o for o in run.outcomes if not o.good]
    assert [o.tool for o in bad] == ["search_similar_products"]
    assert "the top hit should be Gạo ST25" in bad[0].summary


def test_money_is_written_one_way():
    from finizi_b4b.devtools.scenarios import money

    assert [money(v) for v in (0, 950, 95_000, 1_716_000, 26_463_715_332, 1234.6)] == [
        "0 VND",
        "950 VND",
        "95.000 VND",
        "1.716.000 VND",
        "26.463.715.332 VND",
        "1.235 VND",
    ]


def test_the_demo_shows_full_arguments_alike_amounts_and_how_to_connect():
    done = run_cli("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "…" not in out  # arguments are never cut short
    assert '"query": "ca phe robusta rang say"' in out
    search = out[out.index("search_similar_products {") :].splitlines()
    assert search[2].split()[1:5] == ["Cà", "phê", "Robusta", "rang"], search[:3]
    amounts = re.findall(r"([\d.,]+) VND", out)
    assert len(amounts) >= 4
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*", amount) for amount in amounts), amounts
    from finizi_b4b.config import DEFAULT_TOOLSETS
    from finizi_b4b.devtools.scenarios import SCENARIOS
    from finizi_b4b.tools import TOOLS

    served = len([tool for tool in TOOLS.values() if tool.toolset in DEFAULT_TOOLSETS])
    assert f"{served} tools, {len(SCENARIOS['full'])} calls, all as expected" in out
    assert "purchases from" in out[out.index("summarize_invoices {") :].splitlines()[2]
    tail = out[out.index("Connect a desktop client") :]
    assert "claude_desktop_config.json" in tail and '"mcpServers"' in tail and "make bundle" in tail
    assert "README.md" in tail


async def test_a_failed_step_makes_later_steps_skip_not_crash(tmp_path):
    from finizi_b4b.devtools.scenarios import SCENARIOS
    from finizi_b4b.devtools.scenarios.runner import Answer, Context, run_steps

    async def broken_api(tool, arguments):
        return Answer(True, {"success": False, "code": "bad_response", "error": "malformed"})

    steps = SCENARIOS["expiry"]
    run = await run_steps(broken_api, steps, Context(tmp_path))
    assert len(run.outcomes) == len(steps) and run.failures == len(steps)
    assert run.outcomes[2].summary == "skipped: no 'entity_id' from an earlier step"
