"""The generated tool reference (docs/tools.md and the README's tool list) matches schemas/tools."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from finizi_b4b.devtools.reference import README_BEGIN, README_END, main, render_reference, stale_files
from finizi_b4b.schemas import load_definitions, writes_data
from finizi_b4b.tools.pattern_words import describe_pattern

ROOT = Path(__file__).resolve().parents[2]
FIX = "run `make docs` (python -m finizi_b4b.devtools.reference)"


def _patterns(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["pattern"]] if isinstance(value.get("pattern"), str) else []
        return found + [p for v in value.values() for p in _patterns(v)]
    if isinstance(value, list):
        return [p for v in value for p in _patterns(v)]
    return []


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The generated files and the schemas, copied so that a test may spoil them."""
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "tools.md", tmp_path / "docs" / "tools.md")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "finizi_b4b.devtools.reference", "--check", "--root", str(root)]
    command += ["--schemas", str(root / "schemas")]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_committed_reference_is_fresh() -> None:
    stale = stale_files(ROOT, load_definitions())
    assert not stale, f"{[f'{s.path.name} {s.reason}' for s in stale]}: {FIX}"


def test_the_check_command_passes_on_the_checkout() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "finizi_b4b.devtools.reference", "--check"],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == ""


def test_the_check_detects_a_changed_schema(project_copy: Path) -> None:
    schema = project_copy / "schemas" / "tools" / "whoami.json"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace('"title": "Current user"', '"title": "Who am I"'), encoding="utf-8")
    done = _check(project_copy)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == f"docs/tools.md is out of date with schemas/tools: {FIX}"


def test_the_check_detects_a_hand_edited_readme_list(project_copy: Path) -> None:
    readme = project_copy / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("| [`whoami`]", "| [`who_am_i`]"), encoding="utf-8")
    done = _check(project_copy)
    assert done.returncode == 1
    assert done.stderr.strip() == f"README.md is out of date with schemas/tools: {FIX}"


def test_the_check_detects_missing_markers_and_files(project_copy: Path) -> None:
    readme = project_copy / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(README_END, ""), encoding="utf-8")
    (project_copy / "docs" / "tools.md").unlink()
    done = _check(project_copy)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert "docs/tools.md is missing" in done.stderr
    assert "README.md has no tool-list markers" in done.stderr


def test_the_writer_repairs_a_stale_copy(project_copy: Path) -> None:
    (project_copy / "docs" / "tools.md").write_text("# stale\n", encoding="utf-8")
    args = ["--root", str(project_copy), "--schemas", str(project_copy / "schemas")]
    assert main(args) == 0
    assert _check(project_copy).returncode == 0
    readme = (project_copy / "README.md").read_text(encoding="utf-8")
    assert readme == (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_tracked_file_has_its_line_in_the_contributing_tree() -> None:
    from finizi_b4b.devtools import layout

    assert layout.uncovered(ROOT) == []
    tree = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert layout.render(ROOT) in tree


def test_the_tree_follows_the_files_and_names_a_module_without_words(tmp_path: Path) -> None:
    from finizi_b4b.devtools import layout

    package = tmp_path / "finizi_b4b"
    package.mkdir()
    (package / "__init__.py").write_text('"""The package."""\n', encoding="utf-8")
    (package / "first.py").write_text('"""What the first module is for."""\n', encoding="utf-8")
    (tmp_path / "CONTRIBUTING.md").write_text(f"# x\n{layout.BEGIN}\n{layout.END}\n", encoding="utf-8")
    (tmp_path / "README.md").write_text(f"# x\n{README_BEGIN}\n{README_END}\n", encoding="utf-8")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    args = ["--root", str(tmp_path), "--schemas", str(tmp_path / "schemas")]
    assert main(args) == 0
    assert "first.py                What the first module is for" in (tmp_path / "CONTRIBUTING.md").read_text(
        encoding="utf-8"
    )
    (package / "second.py").write_text("x = 1\n", encoding="utf-8")
    done = _check(tmp_path)
    assert done.returncode == 1 and "CONTRIBUTING.md is out of date with the files" in done.stderr
    assert layout.uncovered(tmp_path) == [
        "second.py: no words for it (a docstring, or an entry in DESCRIBED)"
    ]


def test_every_tool_and_argument_is_documented() -> None:
    definitions = load_definitions()
    reference = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index(README_BEGIN) : readme.index(README_END)]
    for name, tool in definitions.items():
        assert f"\n### `{name}`\n" in reference
        assert f"[`{name}`](docs/tools.md#{name})" in listed
        section = reference.split(f"\n### `{name}`\n", 1)[1].split("\n##", 1)[0]
        assert tool["title"] in section and tool["description"] in section
        assert ("**Reads only**" in section) is bool(tool["annotations"]["readOnlyHint"])
        assert ("**Writes**" in section) is writes_data(name, tool)
        row = next(line for line in listed.splitlines() if line.startswith(f"| [`{name}`]"))
        assert row.endswith("| writes |") is writes_data(name, tool), row
        for arg, schema in tool["inputSchema"].get("properties", {}).items():
            row = next(line for line in section.splitlines() if line.startswith(f"| `{arg}` |"))
            required = arg in tool["inputSchema"].get("required", [])
            assert row.split(" | ")[2] == ("yes" if required else "no"), row
            for value in schema.get("enum", []):
                assert f"`{value}`" in row
            if "default" in schema:
                assert f"`{str(schema['default']).lower()}`" in row.lower()


def test_the_reference_and_the_readme_group_the_tools_by_toolset() -> None:
    from finizi_b4b.config import DEFAULT_TOOLSETS, TOOLSETS
    from finizi_b4b.tools import TOOLS

    reference = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index(README_BEGIN) : readme.index(README_END)]
    headings = [reference.index(f"\n## Toolset `{toolset}`\n") for toolset in TOOLSETS]
    groups = [listed.index(f"**`{toolset}`**") for toolset in TOOLSETS]
    assert headings == sorted(headings) and groups == sorted(groups)  # in the toolsets' order
    for name, tool in TOOLS.items():
        at = TOOLSETS.index(tool.toolset)
        place = reference.index(f"\n### `{name}`\n")
        assert headings[at] < place and (at + 1 == len(headings) or place < headings[at + 1]), name
        row = listed.index(f"| [`{name}`]")
        assert groups[at] < row and (at + 1 == len(groups) or row < groups[at + 1]), name
    payments = listed[groups[TOOLSETS.index("payments")] :].splitlines()[0]
    assert "payments" not in DEFAULT_TOOLSETS and "Not served by default" in payments


def test_each_result_is_described_from_its_output_schema() -> None:
    definitions = load_definitions()
    reference = render_reference(definitions)
    for name, tool in definitions.items():
        section = reference.split(f"\n### `{name}`\n", 1)[1].split("\n##", 1)[0]
        line = next(x for x in section.splitlines() if x.startswith("On success the result holds "))
        schema = tool["outputSchema"]
        assert schema.get("required"), f"{name}: its output schema names no key of a success"
        assert "nothing beyond" not in line, line
        for key in schema["required"]:
            assert f"`{key}`" in line, line
        data = schema.get("properties", {}).get("data", {})
        if "items" in data.get("properties", {}):
            assert line.endswith("`data`, an object holding `items`, an array."), line
    lean = {"whoami": {"outputSchema": {"type": "object"}, "description": "Who is signed in, in full."}}
    assert "On success the result holds nothing beyond `success`." in render_reference(lean)
    optional = {"type": "object", "properties": {"data": {"type": "object"}, "message": {"type": "string"}},
                "required": ["data"]}  # fmt: skip
    words = render_reference({"get_vendor": {"outputSchema": optional, "description": "A vendor."}})
    assert "holds `data`, an object and `message`, a string (not always)." in words


def test_no_raw_regex_reaches_the_reference() -> None:
    definitions = load_definitions()
    reference = render_reference(definitions)
    patterns = {p for tool in definitions.values() for p in _patterns(tool["inputSchema"])}
    assert patterns, "the schemas have patterns, so this test can fail"
    for pattern in patterns:
        assert pattern not in reference
        assert pattern.strip("^$") not in reference
    assert not re.search(r"\[[^\]`]*-[^\]`]*\]\{|\\d|\{\d+,\d*\}", reference)


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("^[0-9]{1,12}$", "1 to 12 digits"),
        ("^[0-9A-Z]{1,12}$", "1 to 12 digits or capital letters"),
        ("^(\\+84|0)[0-9]{9,10}$", "either `+84` or `0`, then 9 or 10 digits"),
        (
            "^([0-9]{10}(-[0-9]{3})?|[0-9]{12,14})$",
            "10 digits, optionally followed by `-` and 3 digits; or 12 to 14 digits",
        ),
        ("^\\+?[0-9 .-]{9,20}$", "optionally `+`, then 9 to 20 digits, spaces, `.` or `-`"),
        ("^[^@ ]+$", "one or more characters other than `@` or space"),
        ("^([ .-]?[0-9]){9,10}$", "9 or 10 times (optionally a space, `.` or `-` and a digit)"),
        ("^[1-9]\\d*$", "a digit 1 to 9, then any number of digits"),
    ],
)
def test_patterns_in_plain_words(pattern: str, words: str) -> None:
    re.compile(pattern)  # each is a real regex
    assert describe_pattern(pattern) == words


@pytest.mark.parametrize("pattern", ["^.*$", "[0-9]+", "^(?=x)x$", "^\\w+$", "^[0-9]{2,x}$"])
def test_patterns_beyond_the_grammar_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        describe_pattern(pattern)
