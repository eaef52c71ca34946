"""Toolsets: which tools a server serves, chosen by FINIZI_B4B_TOOLSETS or --toolsets, read-only on top."""

from __future__ import annotations

import pytest

from finizi_b4b.config import DEFAULT_TOOLSETS, TOOLSETS, ConfigError, Settings, toolsets
from finizi_b4b.tools import TOOLS
from tests.conftest import body_of

pytestmark = pytest.mark.anyio


def served_by(chosen) -> set[str]:
    return {name for name, tool in TOOLS.items() if tool.toolset in chosen}


def test_every_tool_belongs_to_one_known_toolset():
    assert {tool.toolset for tool in TOOLS.values()} <= set(TOOLSETS)
    assert "payments" not in DEFAULT_TOOLSETS and set(DEFAULT_TOOLSETS) < set(TOOLSETS)


@pytest.mark.parametrize(
    ("raw", "chosen"),
    [
        (None, DEFAULT_TOOLSETS),
        ("", DEFAULT_TOOLSETS),
        ("all", TOOLSETS),
        ("invoices", ("core", "invoices")),
        (" Payments , reports ", ("core", "reports", "payments")),
        ("core,all", TOOLSETS),
    ],
)
def test_the_setting_names_toolsets_and_core_is_always_there(raw, chosen):
    assert toolsets(raw) == chosen


@pytest.mark.parametrize("raw", ["bogus", "invoices,ledger", "reports;payments"])
def test_an_unknown_name_stops_the_start_with_the_valid_names(raw):
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"FINIZI_B4B_TOOLSETS": raw})
    message = str(error.value)
    assert "\n" not in message and "FINIZI_B4B_TOOLSETS" in message
    assert "core, invoices, reports, registry, payments, or all" in message


@pytest.mark.parametrize("chosen", [DEFAULT_TOOLSETS, ("core",), ("core", "invoices"), TOOLSETS])
async def test_the_tool_list_is_the_tools_of_the_chosen_toolsets(connect, era, chosen):
    async with connect(era, toolsets=chosen) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
    assert listed == served_by(chosen)


async def test_a_tool_of_a_toolset_not_served_is_refused_with_the_setting_named(connect, world, era):
    async with connect(era, toolsets=("core",)) as client:
        result = await client.call_tool("list_invoices", {"entity_id": world.big})
    body = body_of(result)
    assert result.is_error and body["code"] == "toolset_not_enabled"
    assert "invoices toolset" in body["error"] and "FINIZI_B4B_TOOLSETS" in body["error"]


async def test_read_only_mode_applies_on_top(connect, era):
    async with connect(era, toolsets=TOOLSETS, read_only=True) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
    assert "import_invoice_xml" not in listed and "create_entity" not in listed
    assert "list_invoices" in listed


def test_an_unknown_toolset_on_the_command_line_exits_2_with_one_line(raw_server):
    server = raw_server("serve", "--toolsets", "core,bogus")
    code, err = server.finish(timeout=30)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "--toolsets" in lines[0] and "core, invoices, reports" in lines[0]
