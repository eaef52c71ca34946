"""The ``finizi-b4b`` command line: usage errors, the help's environment list, and the demo's
closing words from an installed copy (not a checkout)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from finizi_b4b.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
COMMAND = Path(sys.executable).with_name("finizi-b4b")


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [str(COMMAND), *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        env={**base, **(env or {})}, cwd=cwd, check=False,
    )  # fmt: skip


def _usage_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr, done.stderr
    return done.stderr


# -- usage errors ----------------------------------------------------------------------------------


def test_an_unknown_command_is_named_and_the_commands_are_listed():
    stderr = _usage_error(run("bogus"))
    assert stderr.startswith("usage: finizi-b4b [-h]"), stderr
    (error,) = [line for line in stderr.splitlines() if "error:" in line]
    assert "unknown command 'bogus'" in error, error
    assert all(command in error for command in COMMANDS), error


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["serve", "--bogus"], "usage: finizi-b4b serve "),
        (["--bogus"], "usage: finizi-b4b serve "),  # `finizi-b4b --sandbox` means serve, so does this
        (["serve", "--sandbox", "extra"], "usage: finizi-b4b serve "),
        (["demo", "--bogus"], "usage: finizi-b4b demo "),
        (["replay", "x.jsonl", "--bogus"], "usage: finizi-b4b replay "),
    ],
)
def test_an_unknown_option_prints_the_usage_of_its_command(args, usage):
    stderr = _usage_error(run(*args))
    assert stderr.startswith(usage), stderr
    assert "unrecognized arguments:" in stderr and args[-1] in stderr


# -- the environment in the help -------------------------------------------------------------------


def _names_read(path: Path) -> set[str]:
    return set(re.findall(r'"(FINIZI_[A-Z0-9_]+)"', path.read_text(encoding="utf-8")))


def test_every_setting_the_server_reads_is_in_the_help():
    read = _names_read(ROOT / "finizi_b4b" / "config.py") | _names_read(ROOT / "finizi_b4b" / "cli.py")
    assert {"FINIZI_B4B_CALL_DEADLINE", "FINIZI_B4B_TIMEOUT", "FINIZI_API_URL"} <= read  # the scan works
    top, serve = run("--help"), run("serve", "--help")
    assert top.returncode == serve.returncode == 0, top.stderr + serve.stderr
    for output in (top.stdout, serve.stdout):
        listed = set(re.findall(r"^  (FINIZI_[A-Z0-9_]+) ", output, re.M))
        assert listed == read, f"missing {sorted(read - listed)}, not read {sorted(listed - read)}"


def test_a_wrong_yes_no_setting_says_every_accepted_value_in_one_line():
    stderr = _usage_error(run("serve", env={"FINIZI_B4B_READ_ONLY": "maybe"}))
    (line,) = stderr.splitlines()
    assert line.startswith("finizi-b4b: FINIZI_B4B_READ_ONLY must be ") and line.endswith("got 'maybe'"), line
    accepted = re.findall(r"\b(1|true|yes|on|0|false|no|off)\b", line)
    assert sorted(accepted) == sorted(["1", "true", "yes", "on", "0", "false", "no", "off"]), line


# -- the demo's closing words ----------------------------------------------------------------------


def test_the_demo_from_an_installed_copy_points_at_the_releases_not_at_make(tmp_path):
    wheels = tmp_path / "wheels"
    from tests.integration.packaging.conftest import uv

    done = subprocess.run(
        [uv(), "build", "--wheel", "--out-dir", str(wheels), str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = wheels.glob("*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a pure-Python wheel installed, without its scripts
    env = {"PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import finizi_b4b; print(finizi_b4b.__file__)"],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env}, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    done = subprocess.run(
        [sys.executable, "-m", "finizi_b4b", "demo"],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env}, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    tail = done.stdout[done.stdout.index("Connect a desktop client") :]
    assert "make" not in tail, tail
    assert "https://github.com/finizi-ai/finizi-b4b/releases" in tail
    assert "README.md" not in tail and "https://github.com/finizi-ai/finizi-b4b#connect-a-client" in tail
