"""The MCP Inspector CLI, an independent client, against the installed ``finizi-b4b``.

It needs Node.js and the npm registry (the first run downloads the pinned
Inspector into npx's cache). It is not skipped when they are missing: a
missing client is a failed check, not a passed one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from finizi_b4b.checks import INSPECTOR  # the one pin, shared with check-schemas --inspector
from finizi_b4b.config import DEFAULT_TOOLSETS
from finizi_b4b.tools import TOOLS

COMMAND = str(Path(sys.executable).with_name("finizi-b4b"))


def inspector(*args: str) -> subprocess.CompletedProcess[str]:
    npx = shutil.which("npx")
    assert npx, "npx (Node.js) is needed to run the MCP Inspector CLI"
    return subprocess.run(
        [npx, "-y", INSPECTOR, "--cli", COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FINIZI_B4B_LOG_LEVEL": "WARNING"},
        check=False,
    )


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_tools_list_is_strictly_portable(era):
    done = inspector("--method", "tools/list", "--strict", "--protocol-era", era)
    assert done.returncode == 0, done.stdout + done.stderr
    tools = json.loads(done.stdout)["tools"]
    assert {tool["name"] for tool in tools} == {n for n, t in TOOLS.items() if t.toolset in DEFAULT_TOOLSETS}
    assert all(tool["inputSchema"]["type"] == "object" == tool["outputSchema"]["type"] for tool in tools)


def test_a_successful_call_matches_its_output_schema():
    # The Inspector validates structuredContent against the tool's outputSchema.
    done = inspector("serve", "--sandbox", "--method", "tools/call", "--tool-name", "login")
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["structuredContent"]["user"]["email"] == "admin@finizi.ai"
    assert "isError" not in result or result["isError"] is False


def test_an_error_result_is_reported_as_a_tool_error_not_a_broken_result():
    done = inspector("--method", "tools/call", "--tool-name", "whoami")
    result = json.loads(done.stdout)
    assert result["isError"] is True
    assert json.loads(result["content"][0]["text"])["code"] == "not_authenticated"
    assert "must have required property" not in done.stdout + done.stderr


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_prompts_are_listed_and_filled_in(era):
    done = inspector("--method", "prompts/list", "--protocol-era", era)
    assert done.returncode == 0, done.stdout + done.stderr
    prompts = json.loads(done.stdout)["prompts"]
    names = [p["name"] for p in prompts]
    assert names == [
        "monthly_vat_review",
        "quarterly_vat_review",
        "vendor_spend_review",
        "import_invoice_folder",
    ]
    assert all(p["arguments"] and p["description"] for p in prompts)
    done = inspector(
        "--method", "prompts/get", "--prompt-name", "monthly_vat_review",
        "--prompt-args", "company=Sao Việt", "month=2026-03",
        "--protocol-era", era,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (message,) = json.loads(done.stdout)["messages"]
    assert message["role"] == "user"
    assert "2026-03-01 to 2026-03-31" in message["content"]["text"]
    assert '"group_by": ["direction", "status"]' in message["content"]["text"]


def test_a_prompt_with_a_bad_argument_is_refused():
    done = inspector(
        "--method", "prompts/get", "--prompt-name", "monthly_vat_review",
        "--prompt-args", "company=" + "x" * 201, "month=2026-03",
    )  # fmt: skip
    assert done.returncode != 0
    assert "company must be a company's name, tax id (MST) or id" in done.stdout + done.stderr
