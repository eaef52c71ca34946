"""The release build: ``make release-artifacts`` (``bundle/release.py``) and the release workflow.

The build writes the wheel, the sdist, the validated ``.mcpb``, ``server.json`` with the
bundle's SHA-256, and ``SHA256SUMS`` into one folder; it refuses a tag or a file whose
version is not pyproject.toml's. Like the bundle tests, it needs Node.js (``npx``) and uv.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import pytest

from tests.integration.packaging.conftest import mcpb_version, npx

ROOT = Path(__file__).resolve().parents[3]
RELEASE = ROOT / "bundle" / "release.py"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def _project() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def _release_module():
    spec = importlib.util.spec_from_file_location("bundle_release", RELEASE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_release(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RELEASE), "--mcpb-version", mcpb_version(), *args],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    npx()
    work = tmp_path_factory.mktemp("release")
    dist = work / "dist"
    dist.mkdir()
    (dist / "finizi-b4b-0.0.1.mcpb").write_text("left by an earlier build")
    version = _project()["version"]
    done = run_release("--dist", str(dist), "--stage", str(work / "stage"), "--tag", f"v{version}")
    assert done.returncode == 0, done.stdout + done.stderr
    return dist


def test_the_release_holds_the_wheel_the_sdist_the_bundle_server_json_and_their_sums(released):
    version = _project()["version"]
    names = sorted(path.name for path in released.iterdir())
    assert names == sorted([
        f"finizi_b4b-{version}-py3-none-any.whl", f"finizi_b4b-{version}.tar.gz",
        f"finizi-b4b-{version}.mcpb", "server.json", "SHA256SUMS",
    ])  # fmt: skip
    lines = (released / "SHA256SUMS").read_text().splitlines()
    summed = dict(reversed(line.split("  ", 1)) for line in lines)
    assert sorted(summed) == sorted(name for name in names if name != "SHA256SUMS")
    for name, digest in summed.items():
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
        assert hashlib.sha256((released / name).read_bytes()).hexdigest() == digest, name


def test_the_wheel_carries_the_tool_definitions_and_the_registry_name(released):
    version = _project()["version"]
    wheel = zipfile.ZipFile(released / f"finizi_b4b-{version}-py3-none-any.whl")
    names = set(wheel.namelist())
    tools = {f"finizi_b4b/_schemas/tools/{p.name}" for p in (ROOT / "schemas" / "tools").glob("*.json")}
    assert tools and tools <= names, sorted(tools - names)
    metadata = wheel.read(f"finizi_b4b-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    server = json.loads((ROOT / "server.json").read_text())
    assert f"<!-- mcp-name: {server['name']} -->" in metadata  # how the registry checks the PyPI package


def test_the_sdist_can_build_the_bundle_again(released):
    version = _project()["version"]
    with tarfile.open(released / f"finizi_b4b-{version}.tar.gz") as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"uv.lock", "pyproject.toml", "bundle/build.py", "bundle/main.py", "bundle/manifest.json"} <= names


def test_the_released_server_json_names_the_bundle_with_its_sha256(released):
    version = _project()["version"]
    committed = json.loads((ROOT / "server.json").read_text())
    written = json.loads((released / "server.json").read_text())
    bundle = released / f"finizi-b4b-{version}.mcpb"
    (mcpb,) = [package for package in written["packages"] if package["registryType"] == "mcpb"]
    assert mcpb["fileSha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert mcpb["identifier"].endswith(f"/releases/download/v{version}/{bundle.name}")
    del mcpb["fileSha256"]
    assert written == committed  # nothing else changed
    schema = json.loads((ROOT / "schemas" / "registry" / "server.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(json.loads((released / "server.json").read_text()))


def test_a_tag_that_is_not_the_version_is_refused_before_anything_is_built(tmp_path):
    done = run_release(
        "--dist", str(tmp_path / "dist"), "--stage", str(tmp_path / "stage"), "--tag", "v9.9.9"
    )
    version = _project()["version"]
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        done.stderr.strip()
        == f"release: the tag v9.9.9 is not v{version}, the version in pyproject.toml: tag v{version}"
    )
    assert not (tmp_path / "dist").exists() and not (tmp_path / "stage").exists()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: s.update(version="9.9.9"), "server.json has 9.9.9"),
        (lambda s: s["packages"][0].update(version="9.9.9"), "server.json's pypi package has 9.9.9"),
        (lambda s: s["packages"][1].update(version="9.9.9"), "server.json's mcpb package has 9.9.9"),
        (lambda s: s["packages"][1].update(identifier="https://example.com/x.mcpb"), "mcpb package must be"),
        (lambda s: s["packages"].pop(1), "must list a pypi and an mcpb package"),
    ],
)
def test_server_json_naming_another_version_or_place_is_refused(tmp_path, change, words):
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    server = json.loads((ROOT / "server.json").read_text())
    change(server)
    (tmp_path / "server.json").write_text(json.dumps(server))
    release = _release_module()
    with pytest.raises(release.BuildError, match=re.escape(words)):
        release.check_versions(tmp_path)


def test_make_release_artifacts_runs_the_build_with_the_pinned_cli_and_the_tag():
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony and "release-artifacts" in phony.group(1).split()
    target = re.search(r"^release-artifacts:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert target, "the Makefile has no release-artifacts target"
    assert "bundle/release.py --mcpb-version $(MCPB_VERSION)" in target.group(1)
    assert "--dist dist" in target.group(1) and "--tag $(TAG)" in target.group(1)


def test_the_release_workflow_builds_on_a_version_tag_and_attaches_every_file():
    workflow = WORKFLOW.read_text()
    assert re.search(r"^on:\n  push:\n    tags: \[\"v\*\"\]\n", workflow, re.M), "runs on v* tags only"
    assert 'make release-artifacts TAG="$GITHUB_REF_NAME"' in workflow  # the tag is checked by the build
    for action in ("actions/checkout@v4", "actions/setup-python@v5", "actions/setup-node@v4"):
        assert f"uses: {action}" in workflow
    create = workflow[workflow.index("gh release create") :]
    for files in ("dist/*.whl", "dist/*.tar.gz", "dist/*.mcpb", "dist/server.json", "dist/SHA256SUMS"):
        assert files in create
    assert "needs: tests" in workflow and "run: make test" in workflow  # no release of a failing tree
    assert "contents: write" in workflow
