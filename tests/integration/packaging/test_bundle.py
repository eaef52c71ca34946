"""The MCP Bundle: built by ``bundle/build.py`` (what ``make bundle`` runs), checked and packed
with the official MCPB CLI, unpacked, then started exactly as its manifest tells Claude Desktop
to start it, against the sandbox.

Needs Node.js (``npx`` runs the MCPB CLI at the version pinned in the Makefile) and ``uv``
(the manifest's server type); without either the tests fail with one line saying so.
``uv run`` builds the server's environment from the bundle's uv.lock, downloading from PyPI
only what uv's cache does not hold yet. Starts with no index reachable are in
``test_bundle_offline.py``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
import zipfile
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from finizi_b4b import __version__
from finizi_b4b.config import DEFAULT_API_URL, DEFAULT_TOOLSETS
from finizi_b4b.sandbox import DEMO_ADMIN, Sandbox
from tests.conftest import body_of
from tests.integration.packaging.conftest import ROOT, build_module, mcpb, mcpb_version, uv

WRITE_TOOLS = {"create_entity", "update_entity", "import_invoice_xml"}
# What the launched process may inherit besides the manifest's env: what uv needs to find
# the package index and its cache as this machine has them configured.
PASSED_THROUGH = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "XDG_CACHE_HOME")


def _pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def launch_config(manifest: dict, dirname: Path, user_values: dict[str, object]) -> dict:
    """``mcp_config`` with its variables filled in the way MCPB hosts do.

    The manifest's defaults first, then what the user entered; booleans become
    ``"true"``/``"false"``; a variable nobody set is left as it is (and caught below).
    """
    options = manifest.get("user_config", {})
    missing = [key for key, option in options.items() if option.get("required") and not user_values.get(key)]
    assert not missing, f"a host would not start the server without {missing}"
    merged = {key: option["default"] for key, option in options.items() if "default" in option}
    merged.update(user_values)
    variables = {"__dirname": str(dirname), "/": os.sep, "pathSeparator": os.sep}
    for key, value in merged.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        variables[f"user_config.{key}"] = str(value)

    def fill(value):
        if isinstance(value, str):
            for name, replacement in variables.items():
                value = value.replace("${" + name + "}", replacement)
            return value
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    base = {k: v for k, v in manifest["server"]["mcp_config"].items() if k != "platform_overrides"}
    config = fill(base)
    assert "${" not in json.dumps(config), f"unfilled variables in {config}"
    return config


def server_params(config: dict) -> StdioServerParameters:
    assert config["command"] == "uv"
    inherited = {k: v for k, v in os.environ.items() if k.startswith("UV_") or k in PASSED_THROUGH}
    env = {
        **inherited,
        **config.get("env", {}),
        # Claude Desktop brings its own Python for uv; here uv uses this interpreter and never downloads one.
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
    }
    return StdioServerParameters(command=uv(), args=config.get("args", []), env=env)


def user_values(box, **changes) -> dict[str, object]:
    return {"api_url": box.url, "phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password, **changes}


# -- building ------------------------------------------------------------------------------------


def test_make_bundle_runs_the_build_with_the_pinned_cli():
    makefile = (ROOT / "Makefile").read_text()
    assert re.match(r"^\d+\.\d+\.\d+$", mcpb_version()), "pin an exact MCPB CLI version"
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony and "bundle" in phony.group(1).split(), "bundle/ is a folder: the target must be phony"
    target = re.search(r"^bundle:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert target, "the Makefile has no bundle target"
    assert "bundle/build.py --mcpb-version $(MCPB_VERSION)" in target.group(1)
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "make bundle" in workflow


def test_the_build_names_the_file_after_the_version_and_the_cli_accepts_it(built):
    assert built["file"].name == f"finizi-b4b-{_pyproject()['version']}.mcpb"
    done = mcpb("validate", str(built["dir"] / "manifest.json"))
    assert done.returncode == 0 and "validation passes" in done.stdout, done.stdout + done.stderr


def test_the_cli_refuses_a_broken_manifest(built, tmp_path):
    broken = dict(built["manifest"], server={**built["manifest"]["server"], "type": "conda"})
    (tmp_path / "manifest.json").write_text(json.dumps(broken))
    done = mcpb("validate", str(tmp_path / "manifest.json"))
    assert done.returncode != 0, done.stdout


def test_the_bundle_holds_what_uv_needs_and_nothing_else(built):
    names = zipfile.ZipFile(built["file"]).namelist()
    assert {name.split("/", 1)[0] for name in names} == {
        "manifest.json", "pyproject.toml", "uv.lock", "README.md", "LICENSE",
        "main.py", "finizi_b4b", "schemas",
    }  # fmt: skip
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".pyo"))]
    package = {p.relative_to(ROOT).as_posix() for p in (ROOT / "finizi_b4b").rglob("*.py")}
    assert package <= set(names), sorted(package - set(names))
    tools = {p.relative_to(ROOT).as_posix() for p in (ROOT / "schemas" / "tools").glob("*.json")}
    assert {name for name in names if name.startswith("schemas/")} == tools
    assert (built["dir"] / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()


def test_the_manifest_describes_a_uv_server_configured_from_the_install_dialog(built):
    manifest = built["manifest"]
    assert manifest["manifest_version"] == "0.4"  # the first version with the uv server type
    assert (manifest["name"], manifest["version"]) == (_pyproject()["name"], _pyproject()["version"])
    assert manifest["version"] == __version__
    assert manifest["license"] == _pyproject()["license"]
    server = manifest["server"]
    assert server["type"] == "uv"
    assert (built["dir"] / server["entry_point"]).is_file()
    assert server["mcp_config"]["command"] == "uv"
    # the locked versions, resolving nothing; main.py runs the package from the bundle's folder
    assert server["mcp_config"]["args"] == [
        "run",
        "--frozen",
        "--directory",
        "${__dirname}",
        server["entry_point"],
    ]
    options = manifest["user_config"]
    assert set(options) == {
        "phone", "password", "api_url", "read_only", "toolsets", "lockdown", "confirm_writes"
    }  # fmt: skip
    assert options["password"]["sensitive"] is True  # kept in the OS keychain
    assert not any(option.get("sensitive") for key, option in options.items() if key != "password")
    assert options["api_url"]["default"] == DEFAULT_API_URL
    assert options["read_only"]["type"] == "boolean" and options["read_only"]["default"] is False
    assert options["lockdown"]["type"] == "boolean" and options["lockdown"]["default"] is False
    assert options["confirm_writes"]["type"] == "boolean" and options["confirm_writes"]["default"] is True
    assert options["toolsets"]["default"] == ",".join(DEFAULT_TOOLSETS)
    assert server["mcp_config"]["env"] == {
        "FINIZI_API_URL": "${user_config.api_url}",
        "FINIZI_PHONE": "${user_config.phone}",
        "FINIZI_PASSWORD": "${user_config.password}",
        "FINIZI_B4B_READ_ONLY": "${user_config.read_only}",
        "FINIZI_B4B_TOOLSETS": "${user_config.toolsets}",
        "FINIZI_B4B_LOCKDOWN": "${user_config.lockdown}",
        "FINIZI_B4B_CONFIRM_WRITES": "${user_config.confirm_writes}",
    }


def test_the_manifest_lists_the_tools_the_schemas_define_in_the_default_toolsets(built):
    from finizi_b4b.config import DEFAULT_TOOLSETS
    from finizi_b4b.tools import TOOLS

    defined = sorted(json.loads(p.read_text())["name"] for p in (ROOT / "schemas" / "tools").glob("*.json"))
    listed = [tool["name"] for tool in built["manifest"]["tools"]]
    assert listed == [name for name in defined if TOOLS[name].toolset in DEFAULT_TOOLSETS]
    assert "record_payment" in defined and "record_payment" not in listed  # payments: not by default
    assert all(tool["description"] for tool in built["manifest"]["tools"])


def test_the_manifest_describes_each_tool_in_whole_sentences(built):
    full = {
        (d := json.loads(p.read_text()))["name"]: d["description"]
        for p in (ROOT / "schemas" / "tools").glob("*.json")
    }
    for tool in built["manifest"]["tools"]:
        short, whole = tool["description"], full[tool["name"]]
        assert whole == short or whole.startswith(short + " "), (tool["name"], short)
        assert short.endswith("."), (tool["name"], short)
        assert short.count("(") == short.count(")"), f"{tool['name']}: cut inside parentheses: {short!r}"
        assert not re.search(r"\b(e\.g|i\.e|etc|cf|vs)\.$", short), f"{tool['name']}: cut at {short!r}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Like a text (e.g. a line), best first. More.", "Like a text (e.g. a line), best first."),
        ("One. Two.", "One."),
        ("Sign in; later calls reuse it. No arguments: yours.", "Sign in; later calls reuse it."),
        ("Import XML (max 5 MB); refused. preview: true only checks.", "Import XML (max 5 MB); refused."),
        ("Amounts such as 1.5 million. Then more.", "Amounts such as 1.5 million."),
        ("Totals, i.e. sums. Then more.", "Totals, i.e. sums."),
        ("Lists (sorted. really) first. Then more.", "Lists (sorted. really) first."),
        ("No full stop at all", "No full stop at all"),
        ("First line only.\nSecond line.", "First line only."),
    ],
)  # fmt: skip
def test_descriptions_are_shortened_to_their_first_whole_sentence(text, expected):
    assert build_module().first_sentence(text) == expected


# -- starting it as Claude Desktop does ------------------------------------------------------------


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


async def _run(built, values: dict[str, object], errlog_path: Path, session) -> None:
    params = server_params(launch_config(built["manifest"], built["dir"], values))
    with errlog_path.open("w") as errlog, anyio.fail_after(300):  # a cold uv cache downloads the deps
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            await session(client)


@pytest.mark.anyio
async def test_the_unpacked_bundle_starts_as_its_manifest_says_and_signs_in(built, tmp_path):
    seen: dict[str, object] = {}
    log = tmp_path / "server.stderr"

    async def session(client):
        seen["tools"] = sorted(tool.name for tool in (await client.list_tools()).tools)
        login = await client.call_tool("login", {})
        assert not login.is_error, (body_of(login), log_tail(log))
        whoami = await client.call_tool("whoami", {})
        assert not whoami.is_error, (body_of(whoami), log_tail(log))
        seen["whoami"] = body_of(whoami)

    async with Sandbox(port=0) as box:
        await _run(built, user_values(box), log, session)
        logins = box.counts["auth.login"]
    assert DEMO_ADMIN.phone in json.dumps(seen["whoami"], ensure_ascii=False), seen["whoami"]
    assert logins >= 1, "the server never signed in at the sandbox given as the API address"
    assert seen["tools"] == [tool["name"] for tool in built["manifest"]["tools"]]
    assert DEMO_ADMIN.password not in log.read_text()


@pytest.mark.anyio
async def test_read_only_mode_from_the_install_dialog_hides_the_write_tools(built, tmp_path):
    seen: dict[str, object] = {}
    log = tmp_path / "server.stderr"

    async def session(client):
        seen["tools"] = {tool.name for tool in (await client.list_tools()).tools}
        if "login" in seen["tools"]:
            login = await client.call_tool("login", {})
            assert not login.is_error, (body_of(login), log_tail(log))
        whoami = await client.call_tool("whoami", {})
        seen["whoami_error"] = whoami.is_error and (body_of(whoami), log_tail(log))

    async with Sandbox(port=0) as box:
        await _run(built, user_values(box, read_only=True), log, session)
    assert not seen["tools"] & WRITE_TOOLS, sorted(seen["tools"] & WRITE_TOOLS)
    assert {"whoami", "list_entities", "get_invoice"} <= seen["tools"]
    assert seen["whoami_error"] is False, seen["whoami_error"]
