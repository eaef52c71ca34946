"""server.json, the MCP Registry entry: valid against the registry's published schema (the copy
in schemas/registry/), and in agreement with pyproject.toml, the bundle manifest and the
environment variables the server reads."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest

from finizi_b4b import __version__

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "schemas" / "registry" / "server.schema.json"
SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
# The SHA-256 of the file published at SCHEMA_URL: the copy must be that file, byte for byte.
SCHEMA_SHA256 = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def server() -> dict:
    return _load(ROOT / "server.json")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = _load(SCHEMA)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def project() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def _variables(server: dict) -> list[dict]:
    return server["packages"][0]["environmentVariables"]


def _problems(validator, document) -> list[str]:
    errors = validator.iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors]


def test_the_schema_copy_is_the_published_file_and_says_where_it_is_from():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert _load(SCHEMA)["$id"] == SCHEMA_URL
    readme = (SCHEMA.parent / "README.md").read_text()
    assert SCHEMA_URL in readme and SCHEMA_SHA256 in readme


def test_server_json_is_valid_against_the_registry_schema(server, validator):
    assert server["$schema"] == SCHEMA_URL
    assert _problems(validator, server) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda s: s.pop("version"), "(top)"),
        (lambda s: s.update(name="finizi-b4b"), "name"),
        (lambda s: s.update(description="x" * 101), "description"),
        (lambda s: s["packages"][0].pop("identifier"), "packages/0"),
        (lambda s: s["packages"][0].update(version="latest"), "packages/0/version"),
        (lambda s: _variables(s)[1].pop("name"), "packages/0/environmentVariables/1"),
        (lambda s: s["packages"][0].update(transport={"type": "pipe"}), "packages/0/transport"),
        (lambda s: s["repository"].pop("source"), "repository"),
    ],
)
def test_the_validation_would_catch_a_broken_entry(server, validator, change, where):
    broken = copy.deepcopy(server)
    change(broken)
    problems = _problems(validator, broken)
    assert any(problem.startswith(f"{where}:") for problem in problems), problems


def test_name_version_and_addresses_agree_with_the_project(server, project):
    assert server["version"] == project["version"] == __version__
    assert {package["registryType"]: package["version"] for package in server["packages"]} == {
        "pypi": project["version"],
        "mcpb": project["version"],
    }
    urls = project["urls"]
    assert server["repository"] == {"url": urls["Repository"], "source": "github"}
    owner, repo = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", urls["Repository"]).groups()
    # io.github.<owner>/ is the namespace the registry lets a GitHub account publish under
    assert server["name"] == f"io.github.{owner}/{repo}"
    assert server["websiteUrl"] == urls["Homepage"]
    assert all(url.startswith(urls["Repository"]) for url in urls.values()), urls


def test_the_pypi_package_is_this_project_over_stdio(server, project):
    package = server["packages"][0]
    assert package["registryType"] == "pypi"
    assert package["identifier"] == project["name"]
    assert package["version"] == project["version"]
    assert package["transport"] == {"type": "stdio"}
    assert package.get("runtimeHint") == "uvx"


def test_the_mcpb_package_is_the_bundle_attached_to_the_version_s_release(server, project):
    (package,) = [package for package in server["packages"] if package["registryType"] == "mcpb"]
    version, repository = project["version"], project["urls"]["Repository"]
    assert package["identifier"] == f"{repository}/releases/download/v{version}/finizi-b4b-{version}.mcpb"
    assert package["transport"] == {"type": "stdio"}
    # the registry needs the bundle's SHA-256, known once it is built: the release writes it into
    # dist/server.json (tests/integration/packaging/test_release.py)
    assert "fileSha256" not in package


def test_server_json_and_the_bundle_manifest_describe_the_same_server(server):
    manifest = _load(ROOT / "bundle" / "manifest.json")
    assert manifest["version"] == server["version"]
    assert manifest["name"] == server["packages"][0]["identifier"]
    assert manifest["repository"]["url"] == server["repository"]["url"]
    described = {variable["name"] for variable in server["packages"][0]["environmentVariables"]}
    mapped = set(manifest["server"]["mcp_config"]["env"])
    assert mapped <= described, sorted(mapped - described)


def test_the_environment_variables_are_ones_the_server_reads_and_only_the_password_is_secret(server):
    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "finizi_b4b").rglob("*.py"))
    variables = server["packages"][0]["environmentVariables"]
    unread = [v["name"] for v in variables if f'"{v["name"]}"' not in source]
    assert unread == [], f"described in server.json but never read by the server: {unread}"
    secret = {v["name"] for v in variables if v.get("isSecret")}
    assert secret == {"FINIZI_PASSWORD"}
    assert all(v.get("description") for v in variables)
    defaults = {v["name"]: v.get("default") for v in variables}
    from finizi_b4b.config import DEFAULT_API_URL

    assert defaults["FINIZI_API_URL"] == DEFAULT_API_URL
