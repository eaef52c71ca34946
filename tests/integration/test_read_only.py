"""Read-only mode (``--read-only`` or FINIZI_B4B_READ_ONLY): the write tools are neither listed nor run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import mcp.types as types
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client

from finizi_b4b.config import TOOLSETS, ConfigError, Settings
from finizi_b4b.schemas import SESSION_TOOLS, load_definitions, writes_data
from tests.conftest import body_of

pytestmark = pytest.mark.anyio

COMMAND = Path(sys.executable).with_name("finizi-b4b")
DEFINITIONS = load_definitions()
WRITES = {name for name, d in DEFINITIONS.items() if writes_data(name, d)}


def test_the_write_tools_are_the_ones_that_change_data():
    assert {"create_entity", "update_entity", "import_invoice_xml", "record_payment"} <= WRITES
    assert not WRITES & SESSION_TOOLS and "whoami" not in WRITES


async def test_the_write_tools_are_not_listed(connect, era):
    async with connect(era, read_only=True, toolsets=TOOLSETS) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
    assert listed == set(DEFINITIONS) - WRITES
    assert {"login", "logout", "whoami", "list_entities"} <= listed


async def test_without_read_only_mode_every_tool_is_listed(connect, era):
    async with connect(era, toolsets=TOOLSETS) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
    assert listed == set(DEFINITIONS)


async def test_a_write_tool_is_refused_with_its_own_code_and_nothing_is_sent(connect, sandbox, world, era):
    calls = {
        "create_entity": {"name": "Công ty Chỉ Đọc", "tax_id": "0399999991"},
        "update_entity": {"entity_id": world.big, "address": "Huế"},
        "import_invoice_xml": {"entity_id": world.big, "xml_content": "<HDon/>"},
        "create_entity ": {"name": 5},  # invalid arguments: refused as a write all the same
    }
    async with connect(era, read_only=True) as client:
        assert not (await client.call_tool("whoami", {})).is_error  # signed in: reads work
        sandbox.clear_seen()
        for tool, arguments in calls.items():
            result = await client.call_tool(tool.strip(), arguments)
            body = body_of(result)
            assert result.is_error and body["code"] == "read_only_mode", body
            assert tool.strip() in body["error"] and "read-only mode" in body["error"]
            assert "nothing was changed" in body["error"]
    assert [r for r in sandbox.seen if r.method != "GET"] == []


async def test_an_unknown_tool_is_still_unknown_in_read_only_mode(connect, era):
    async with connect(era, read_only=True) as client:
        body = body_of(await client.call_tool("drop_everything", {}))
    assert body["code"] == "unknown_tool"
    assert "create_entity" not in body["error"]  # the tools it offers are the ones listed


async def test_the_folder_import_prompt_is_not_offered(connect, world, era, tmp_path):
    async with connect(era, read_only=True) as client:
        listed = [prompt.name for prompt in (await client.list_prompts()).prompts]
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("import_invoice_folder", {"company": world.big, "folder": str(tmp_path)})
        ref = types.PromptReference(name="import_invoice_folder")
        offered = await client.complete(ref, {"name": "folder", "value": str(tmp_path)})
        review = await client.get_prompt("monthly_vat_review", {"company": world.big, "month": "2026-03"})
    assert listed == ["monthly_vat_review", "quarterly_vat_review", "vendor_spend_review"]
    assert caught.value.error.code == types.INVALID_PARAMS
    assert "import_invoice_folder" in caught.value.error.message
    assert "not available in read-only mode" in caught.value.error.message
    assert offered.completion.values == []
    assert review.messages  # the prompts that only read are still there


async def test_the_instructions_say_so(connect, era):
    async with connect(era, read_only=True) as client:
        words = client.instructions or ""
    assert "Read-only mode is on" in words
    assert all(name in words for name in WRITES)
    async with connect(era) as client:
        assert "Read-only" not in (client.instructions or "")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True), ("true", True), ("TRUE", True), ("Yes", True), (" yes ", True), ("on", True),
        ("0", False), ("false", False), ("False", False), ("no", False), ("NO", False), ("", False),
    ],
)  # fmt: skip
def test_the_variable_takes_the_usual_yes_and_no_forms(raw, expected):
    assert Settings.from_env({"FINIZI_B4B_READ_ONLY": raw}).read_only is expected


def test_read_only_mode_is_off_by_default():
    assert Settings.from_env({}).read_only is False


@pytest.mark.parametrize("raw", ["2", "maybe", "y", "truthy", "-1"])
def test_any_other_value_is_refused(raw):
    with pytest.raises(ConfigError, match="FINIZI_B4B_READ_ONLY must be 1, true, yes or on, or 0, false"):
        Settings.from_env({"FINIZI_B4B_READ_ONLY": raw})


def test_the_command_refuses_a_bad_value_with_one_line_and_exit_2():
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    done = subprocess.run(
        [str(COMMAND), "serve"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, "FINIZI_B4B_READ_ONLY": "maybe"},
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("finizi-b4b: "), done.stderr
    assert "FINIZI_B4B_READ_ONLY" in lines[0] and "'maybe'" in lines[0]
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "env"), [(["--read-only"], {}), ([], {"FINIZI_B4B_READ_ONLY": "true"})], ids=["flag", "env"]
)
async def test_the_command_serves_read_only_from_the_flag_or_the_variable(args, env, tmp_path):
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    params = StdioServerParameters(
        command=str(COMMAND),
        args=["serve", "--sandbox", *args],
        env={**base, "FINIZI_B4B_TOOLSETS": "all", **env},
    )
    log = tmp_path / "stderr"
    with log.open("w") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            listed = {tool.name for tool in (await client.list_tools()).tools}
            refused = body_of(await client.call_tool("create_entity", {"name": "X", "tax_id": "0399999992"}))
    assert listed == set(DEFINITIONS) - WRITES, log.read_text()
    assert refused["code"] == "read_only_mode"
    assert "read-only mode" in log.read_text()
