"""What the packaging tests share: the MCPB CLI at the version the Makefile pins, uv, and the
bundle built once for the whole folder, as ``make bundle`` builds it, then unpacked."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

__all__ = ["ROOT", "build_module", "built", "mcpb", "mcpb_version", "npx", "uv"]

ROOT = Path(__file__).resolve().parents[3]


def mcpb_version() -> str:
    pins = re.findall(r"^MCPB_VERSION\s*:?=\s*(\S+)\s*$", (ROOT / "Makefile").read_text(), re.M)
    assert len(pins) == 1, f"the Makefile must pin the MCPB CLI once, found {pins}"
    return pins[0]


def npx() -> str:
    found = shutil.which("npx")
    if found is None:
        pytest.fail("npx was not found: the bundle tests need Node.js (npx runs the MCPB CLI)", pytrace=False)
    return found


def uv() -> str:
    """The ``uv`` that ``make bundle`` finds (``bundle/build.py``), or the test fails saying why."""
    build = build_module()
    try:
        return build.find_uv()
    except build.BuildError as exc:
        why = f"{exc}: the bundle test starts the server as Claude Desktop does, with `uv run`"
        pytest.fail(why, pytrace=False)


def mcpb(*args: str) -> subprocess.CompletedProcess[str]:
    command = [npx(), "-y", f"@anthropic-ai/mcpb@{mcpb_version()}", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture(scope="package")
def built(tmp_path_factory) -> dict:
    """The bundle, built as ``make bundle`` builds it and unpacked with ``mcpb unpack``."""
    npx()
    work = tmp_path_factory.mktemp("bundle")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bundle" / "build.py"), "--mcpb-version", mcpb_version(),
         "--stage", str(work / "stage"), "--dist", str(work / "dist")],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    files = list((work / "dist").iterdir())
    assert len(files) == 1, files
    unpacked = work / "unpacked"
    done = mcpb("unpack", str(files[0]), str(unpacked))
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
    return {"file": files[0], "dir": unpacked, "manifest": manifest}


def build_module():
    """``bundle/build.py`` as a module (its name would clash with other packages named build)."""
    spec = importlib.util.spec_from_file_location("bundle_build", ROOT / "bundle" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
