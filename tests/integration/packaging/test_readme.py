"""README.md's top, which is also the package's description on PyPI: the registry's name comment,
the two commands a newcomer runs, and where a desktop user gets the bundle."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINES = README.splitlines()


def _repository() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["urls"]["Repository"]


def _first(pattern: str) -> int:
    found = [number for number, line in enumerate(LINES) if re.search(pattern, line)]
    assert found, f"no line of README.md matches {pattern!r}"
    return found[0]


def test_the_registry_name_comment_stays_near_the_top():
    name = json.loads((ROOT / "server.json").read_text())["name"]
    assert _first(re.escape(f"<!-- mcp-name: {name} -->")) < 5


def test_make_demo_then_make_test_come_within_the_first_screen_after_the_pitch():
    demo, test = _first(r"^\s*make demo\b"), _first(r"^\s*make test\b")
    assert demo < test < 30, (demo, test)
    pitch = _first(r"Model Context Protocol")
    assert pitch < demo, "the one-paragraph pitch comes first"
    assert "sandbox" in LINES[demo] and "Python 3.11" in LINES[demo], LINES[demo]
    assert "Node.js" in LINES[test] and "Inspector" in LINES[test], LINES[test]
    install = _first(r"^## Install")
    assert test < install, "then the text for desktop users, as before"


def test_the_bundle_is_downloaded_from_the_releases_page():
    install = README[README.index("## Install") : README.index("## Connect a client")]
    releases = f"{_repository()}/releases"
    (row,) = [line for line in install.splitlines() if line.startswith("| MCP Bundle")]
    assert releases in row and ".mcpb" in row, row
    bundle = install[install.index("**The MCP Bundle**") :]
    assert releases in bundle and "SHA256SUMS" in bundle
    assert "make bundle" in bundle  # building it from a checkout remains possible


def test_every_setting_the_help_lists_is_in_the_settings_table():
    from finizi_b4b.cli import ENVIRONMENT

    table = README[README.index("## Settings") :]
    table = table[: table.index("\n\n", table.index("| variable"))]
    rows = {line.split("|")[1].strip().strip("`") for line in table.splitlines() if line.startswith("| `")}
    assert rows == {name for name, _ in ENVIRONMENT}


def test_the_security_policy_is_linked_from_the_readme():
    assert (ROOT / "SECURITY.md").is_file()
    assert "(SECURITY.md)" in README


def test_contributing_says_what_the_suite_needs_and_takes():
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    top = contributing[: contributing.index("\n## The layout")]  # "Setting up"
    assert "npm registry" in top and "PyPI" in top  # what the first run fetches
    assert "2-4 minutes on 2 CPUs" in top
    assert "no network access beyond loopback" not in contributing.lower()
    assert "about a minute" not in contributing
    assert "Network access in tests and in the sandbox is loopback only" not in contributing
