"""File and folder names that are not valid text, and folder paths that cannot be expanded.

A ZIP made on a Vietnamese Windows machine and unpacked on Linux leaves names in
windows-1258 bytes, which Python reads back as lone surrogates; no JSON can carry
them. The folder import prompt and the folder completion leave such names out and
say how many (over a real stdio process, where a name that reached the wire would
end the server, and in process in both protocol eras); a name with a control
character is valid text and is listed, escaped, and never reaches a log line. A
folder given as ``~nosuchuser/...`` is a bad argument (-32602 naming it), not a
crash of the handler. A home folder whose name is not UTF-8, reached through
``~``, is escaped in the import tool's file errors, which stay tool results.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import mcp.types as types
import pytest
from mcp import MCPError

from tests.integration.test_prompts import text_of, tool_calls

pytestmark = pytest.mark.anyio

BAD_FILES = ("Hóa đơn 0001.xml", "Hóa đơn 0002.xml")  # written in windows-1258
BAD_FOLDER = "Hóa đơn 2026"
LEFT_OUT = "2 files with names that are not valid text were left out"
CONTROL = "0004\n\x1b[31m.xml"  # valid text, with a newline and an escape sequence


def make(folder: Path, raw_name: bytes, *, directory: bool = False) -> None:
    path = os.fsencode(folder) + b"/" + raw_name
    if directory:
        os.mkdir(path)
    else:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


@pytest.fixture
def unpacked(tmp_path: Path) -> Path:
    """``tmp_path/invoices`` as unzip leaves a Windows archive: two names in windows-1258, two good."""
    folder = tmp_path / "invoices"
    folder.mkdir()
    for name in BAD_FILES:
        make(folder, name.encode("cp1258"))
    make(folder, b"0003.xml")
    make(folder, CONTROL.encode())
    make(tmp_path, BAD_FOLDER.encode("cp1258"), directory=True)
    (tmp_path / "invoices-2025").mkdir()
    return folder


def plan_paths(text: str) -> list[str]:
    """The file_paths of the preview the plan asks for."""
    (tool, call), *_ = tool_calls(text)
    assert tool == "import_invoice_xml"
    return call["file_paths"]


def get_folder_plan(company: str, folder: str) -> dict:
    return {
        "jsonrpc": "2.0",
        "id": "plan",
        "method": "prompts/get",
        "params": {"name": "import_invoice_folder", "arguments": {"company": company, "folder": folder}},
    }


def complete_folder(typed: str) -> dict:
    return {
        "jsonrpc": "2.0",
        "id": "complete",
        "method": "completion/complete",
        "params": {
            "ref": {"type": "ref/prompt", "name": "import_invoice_folder"},
            "argument": {"name": "folder", "value": typed},
        },
    }


def test_over_stdio_such_names_are_left_out_counted_and_the_server_keeps_serving(raw_server, unpacked):
    server = raw_server("serve", "--log-level", "DEBUG")
    assert server.initialize() is not None
    planned = server.request(get_folder_plan("12", str(unpacked)), timeout=10)
    assert planned is not None and "result" in planned, planned
    text = planned["result"]["messages"][0]["content"]["text"]
    assert LEFT_OUT in text
    assert plan_paths(text) == [str(unpacked / "0003.xml"), str(unpacked / CONTROL)]
    completed = server.request(complete_folder(str(unpacked.parent) + os.sep), timeout=10)
    assert completed is not None and "result" in completed, completed
    assert completed["result"]["completion"]["values"] == [str(unpacked), str(unpacked) + "-2025"]
    assert server.request({"jsonrpc": "2.0", "id": 9, "method": "ping"}) == {
        "jsonrpc": "2.0",
        "id": 9,
        "result": {},
    }
    code, stderr = server.finish()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "\ufffd" not in stderr
    assert "0004" not in stderr and "\\udc" not in stderr, "no file name in the log"
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", stderr), "a control character reached the log"


async def test_in_process_such_names_are_left_out_of_the_plan_and_the_completion(
    connect, unpacked, world, era
):
    async with connect(era) as client:
        arguments = {"company": world.big, "folder": str(unpacked)}
        text = text_of(await client.get_prompt("import_invoice_folder", arguments))
        ref = types.PromptReference(name="import_invoice_folder")
        folders = await client.complete(ref, {"name": "folder", "value": str(unpacked.parent) + os.sep})
    assert LEFT_OUT in text
    assert "Import the 2 e-invoice XML file(s)" in text
    assert plan_paths(text) == [str(unpacked / "0003.xml"), str(unpacked / CONTROL)]
    assert json.dumps(str(unpacked / CONTROL)) in text and CONTROL not in text  # escaped, never raw
    assert all(value.encode("utf-8") for value in folders.completion.values)
    assert folders.completion.values == [str(unpacked), str(unpacked) + "-2025"]


async def test_a_folder_of_only_such_names_says_so(connect, world, tmp_path):
    for name in BAD_FILES:
        make(tmp_path, name.encode("cp1258"))
    async with connect() as client:
        text = text_of(
            await client.get_prompt("import_invoice_folder", {"company": world.big, "folder": str(tmp_path)})
        )
    assert text.startswith(f"There are no .xml files in {tmp_path}")
    assert LEFT_OUT in text and tool_calls(text) == []


@pytest.mark.parametrize("folder", ["~nosuchuser/x.xml", "~nosuchuser"])
async def test_an_unknown_users_home_is_a_bad_folder_argument(connect, era, folder):
    async with connect(era) as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("import_invoice_folder", {"company": "12", "folder": folder})
        ref = types.PromptReference(name="import_invoice_folder")
        offered = await client.complete(ref, {"name": "folder", "value": folder})
    assert caught.value.error.code == types.INVALID_PARAMS
    assert "folder" in caught.value.error.message and "nosuchuser" in caught.value.error.message
    assert offered.completion.values == []


def test_an_unknown_users_home_over_stdio_is_invalid_params(raw_server):
    server = raw_server("serve")
    server.initialize()
    answer = server.request(get_folder_plan("12", "~nosuchuser/x.xml"))
    assert answer is not None and answer["id"] == "plan", answer
    assert answer["error"]["code"] == -32602, answer
    assert "folder" in answer["error"]["message"]
    code, stderr = server.finish()
    assert code == 0 and "Traceback" not in stderr


def test_a_file_name_in_a_log_line_is_escaped(raw_server, tmp_path):
    folder = os.fsencode(tmp_path) + b"/" + "Hóa đơn".encode("cp1258")
    os.mkdir(folder)
    record = os.fsdecode(folder + b"/session\n2026-01-01 ERROR forged\x1b[2J.jsonl")
    server = raw_server("serve", env={"FINIZI_B4B_RECORD": record, "FINIZI_B4B_LOG_LEVEL": "DEBUG"})
    assert server.initialize() is not None
    code, stderr = server.finish()
    assert code == 0, stderr
    lines = [line for line in stderr.splitlines() if "recording tool calls to" in line]
    assert len(lines) == 1, stderr
    assert "H\\xf3a \\xf0\\xf5n/session\\x0a2026-01-01 ERROR forged\\x1b[2J.jsonl" in lines[0]
    assert not any(line.startswith("2026-01-01 ERROR forged") for line in stderr.splitlines())
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", stderr) and "\ufffd" not in stderr


def test_a_home_folder_whose_name_is_not_text_is_escaped_in_a_file_error(raw_server, tmp_path, world):
    home = os.fsencode(tmp_path) + b"/" + "Hóa đơn".encode("cp1258")
    os.mkdir(home)
    server = raw_server("serve", "--sandbox", env={"HOME": os.fsdecode(home)})
    assert server.initialize() is not None
    one = {"entity_id": world.big, "file_path": "~/missing.xml", "preview": True}
    batch = {"entity_id": world.big, "file_paths": ["~/missing.xml"], "preview": True}
    answers = [
        server.request(
            {
                "jsonrpc": "2.0",
                "id": n,
                "method": "tools/call",
                "params": {"name": "import_invoice_xml", "arguments": a},
            },
            timeout=30,
        )
        for n, a in enumerate((one, batch))
    ]
    code, stderr = server.finish()
    assert code == 0, stderr
    for answer in answers:
        assert answer is not None and "result" in answer, answer  # not a JSON-RPC error
        text = answer["result"]["content"][0]["text"]
        assert "H\\\\xf3a \\\\xf0\\\\xf5n/missing.xml" in text, text  # JSON of the escaped name
    assert json.loads(answers[0]["result"]["content"][0]["text"])["code"] == "file_not_found"
