"""Recording tool calls against the sandbox, and replaying them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client

from finizi_b4b.recording import CassetteError, Recorder, read_cassette, replay_file
from finizi_b4b.runtime import default_transport
from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN, Sandbox
from finizi_b4b.server import build_server

from .conftest import body_of, invoice_xml, settings_for

pytestmark = pytest.mark.anyio


def recording_server(box, recorder: Recorder):
    """A server against ``box`` whose tool calls ``recorder`` writes down."""
    return build_server(
        settings_for(box),
        transport_factory=recorder.wrap_factory(default_transport),
        router=recorder.router(),
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
    future.write_text(json.dumps({"version": 2}) + "\n")
    refused = run_cli("replay", str(future))
    assert refused.returncode == 2 and "version 2 is not supported" in refused.stderr
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
