"""Build the MCP Bundle (``.mcpb``) that installs finizi-b4b in Claude Desktop in one click.

    python bundle/build.py --mcpb-version X.Y.Z [--stage build/bundle] [--dist dist]

``make bundle`` runs this with the MCPB CLI version pinned in the Makefile. It stages
exactly what the manifest's ``uv`` server type needs to run the server (the manifest,
pyproject.toml, uv.lock, README.md, LICENSE, the entry script ``main.py``, the
``finizi_b4b`` package and the tool schemas, nothing else), fills the manifest's ``tools``
list in from ``schemas/tools`` so that it cannot drift (each tool of the default toolsets,
which are what the bundle's server serves, with the first whole sentence of its
description), then validates and packs the stage
with the official MCPB CLI through ``npx``. The bundle is written to
``<dist>/finizi-b4b-<version>.mcpb``.

The host starts the bundle with ``uv run --frozen``: uv installs the versions in the
committed ``uv.lock`` and resolves nothing. In the bundle the project is a *virtual* one
(``[tool.uv] package = false`` is added to its pyproject.toml, and the lock says so): uv
installs the dependencies only and ``main.py`` runs the package from the bundle's folder,
so nothing is built at start-up either, and a start needs no package index once uv's cache
holds the locked files. The build refuses a ``uv.lock`` that does not match pyproject.toml
(``make lock`` refreshes it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

__all__ = ["BuildError", "build", "find_uv", "first_sentence", "main", "project_version", "run_uv", "stage"]

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "bundle" / "manifest.json"
TOP_LEVEL_FILES = ("pyproject.toml", "uv.lock", "README.md", "LICENSE")
ENTRY_SCRIPT = "main.py"
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
VIRTUAL_PROJECT = (
    "\n# Added in the MCP Bundle only: uv installs the locked dependencies and runs the package\n"
    "# from this folder (main.py), building nothing at start-up.\n"
    "[tool.uv]\npackage = false\n"
)
# "e.g." and the like end no sentence
ABBREVIATION_END = re.compile(r"(?:^|[\s(])(?:e\.g|i\.e|etc|cf|vs)\.$", re.IGNORECASE)
LOCK_FIX = "run `make lock` (uv lock) and commit uv.lock"


class BuildError(Exception):
    """A problem that stops the build, stated in one line."""


def project_version(root: Path = ROOT) -> str:
    with (root / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def _package_version(root: Path) -> str:
    found = re.search(r'^__version__ = "([^"]+)"', (root / "finizi_b4b" / "__init__.py").read_text(), re.M)
    if not found:
        raise BuildError("finizi_b4b/__init__.py has no __version__ line")
    return found.group(1)


def first_sentence(text: str) -> str:
    """The first sentence of a description's first line, whole; the line if it has only one.

    A sentence ends at a full stop followed by a space, outside parentheses, that does not
    end an abbreviation: "Products like a text (e.g. an invoice line), best first." is one.
    """
    line = text.strip().split("\n", 1)[0]
    depth = 0
    for index, char in enumerate(line):
        if char in "()":
            depth = depth + 1 if char == "(" else max(0, depth - 1)
        elif char == "." and depth == 0 and line[index + 1 : index + 2] == " ":
            sentence = line[: index + 1]
            if not ABBREVIATION_END.search(sentence):
                return sentence
    return line


def find_uv() -> str:
    """The ``uv`` of this environment (the test extras install it), else the one on PATH."""
    beside = Path(sys.executable).with_name("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file():
        return str(beside)
    try:
        from uv import find_uv_bin
    except ImportError:
        found = shutil.which("uv")
    else:
        found = find_uv_bin()
    if not found:
        raise BuildError("uv was not found: install the project's test extras (pip install -e '.[test]')")
    return str(found)


def run_uv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``uv`` with ``args`` in ``cwd``, never downloading a Python; its output captured."""
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    return subprocess.run(
        [find_uv(), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300
    )


def _bundle_lock(lock: str, name: str, version: str) -> str:
    """``uv.lock`` with the project as the virtual project it is in the bundle."""
    project = f'name = "{name}"\nversion = "{version}"\nsource = {{ editable = "." }}\n'
    if lock.count(project) != 1:
        raise BuildError(f"uv.lock does not lock {name} {version} as the project in this folder: {LOCK_FIX}")
    return lock.replace(project, project.replace("editable", "virtual"))


def _check_lock(folder: Path, what: str) -> None:
    done = run_uv("lock", "--check", "--offline", cwd=folder)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise BuildError(f"{what} does not match pyproject.toml ({last}): {LOCK_FIX}")


def _served() -> frozenset[str]:
    """The tools the bundle's server lists: those of the default toolsets (its manifest sets none)."""
    from finizi_b4b.config import DEFAULT_TOOLSETS
    from finizi_b4b.tools import TOOLS

    return frozenset(name for name, tool in TOOLS.items() if tool.toolset in DEFAULT_TOOLSETS)


def _tools(root: Path) -> list[dict[str, str]]:
    tools, served = [], _served()
    for path in sorted((root / "schemas" / "tools").glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        if definition["name"] not in served:
            continue
        tools.append({"name": definition["name"], "description": first_sentence(definition["description"])})
    if not tools:
        raise BuildError("no tool definitions under schemas/tools")
    return tools


def stage(target: Path, root: Path = ROOT) -> dict:
    """Lay the bundle's files out in ``target`` (emptied first); return the manifest written."""
    manifest = json.loads((root / "bundle" / "manifest.json").read_text(encoding="utf-8"))
    versions = {
        "pyproject.toml": project_version(root),
        "finizi_b4b/__init__.py": _package_version(root),
        "bundle/manifest.json": manifest["version"],
    }
    if len(set(versions.values())) != 1:
        raise BuildError("versions disagree: " + ", ".join(f"{k} has {v}" for k, v in versions.items()))
    missing = [name for name in TOP_LEVEL_FILES if not (root / name).is_file()]
    if missing:
        raise BuildError(f"missing from the checkout: {', '.join(missing)}")
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    if "uv" in tomllib.loads(pyproject).get("tool", {}):
        raise BuildError("pyproject.toml has a [tool.uv] table: the bundle adds its own (package = false)")
    _check_lock(root, "uv.lock")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("README.md", "LICENSE"):
        shutil.copy2(root / name, target / name)
    (target / "pyproject.toml").write_text(pyproject + VIRTUAL_PROJECT, encoding="utf-8")
    lock = (root / "uv.lock").read_text(encoding="utf-8")
    (target / "uv.lock").write_text(
        _bundle_lock(lock, manifest["name"], manifest["version"]), encoding="utf-8"
    )
    _check_lock(target, "the bundle's uv.lock")
    shutil.copy2(root / "bundle" / ENTRY_SCRIPT, target / ENTRY_SCRIPT)
    shutil.copytree(root / "finizi_b4b", target / "finizi_b4b", ignore=SKIP)
    shutil.copytree(root / "schemas" / "tools", target / "schemas" / "tools", ignore=SKIP)
    manifest["tools"] = _tools(root)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return manifest


def _mcpb(version: str, *args: str) -> None:
    npx = shutil.which("npx")
    if npx is None:
        raise BuildError("npx was not found: building the bundle needs Node.js (npx runs the MCPB CLI)")
    command = [npx, "-y", f"@anthropic-ai/mcpb@{version}", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        raise BuildError(f"mcpb {args[0]} failed (exit {done.returncode}): {output}")
    print(done.stdout.strip())


def build(mcpb_version: str, stage_dir: Path, dist_dir: Path, root: Path = ROOT) -> Path:
    """Stage, validate and pack; return the path of the ``.mcpb`` file."""
    manifest = stage(stage_dir, root)
    _mcpb(mcpb_version, "validate", str(stage_dir / "manifest.json"))
    dist_dir.mkdir(parents=True, exist_ok=True)
    output = dist_dir / f"{manifest['name']}-{manifest['version']}.mcpb"
    _mcpb(mcpb_version, "pack", str(stage_dir), str(output))
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mcpb-version", required=True, help="the @anthropic-ai/mcpb version to run")
    parser.add_argument("--stage", type=Path, default=ROOT / "build" / "bundle", help="staging folder")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the .mcpb file goes")
    args = parser.parse_args(argv)
    try:
        output = build(args.mcpb_version, args.stage.resolve(), args.dist.resolve())
    except BuildError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    print(f"bundle: {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
