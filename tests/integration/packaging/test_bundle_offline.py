"""The bundle's uv.lock: a new install starts with no package index reachable once uv's cache
holds the locked files, an install that has started once starts again without any network, and
the build refuses a lock that does not match pyproject.toml."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import tomllib
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from tests.integration.packaging.conftest import ROOT, build_module, mcpb
from tests.integration.packaging.test_bundle import launch_config, log_tail, server_params


def _locked_versions(bundle_dir: Path) -> dict[str, str]:
    with (bundle_dir / "uv.lock").open("rb") as handle:
        packages = tomllib.load(handle)["package"]
    return {_dist_name(package["name"]): package["version"] for package in packages}


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_versions(bundle_dir: Path) -> dict[str, str]:
    """What ``uv run`` installed into the bundle's own ``.venv``, from its ``*.dist-info`` folders."""
    found = {}
    for info in (bundle_dir / ".venv").glob("lib*/python*/site-packages/*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").split("-", 1)
        found[_dist_name(name)] = version
    assert found, f"no packages installed under {bundle_dir / '.venv'}"
    return found


@contextlib.contextmanager
def _refusing_port():
    """A loopback port bound but not listening: every connection to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _no_index(port: int) -> dict[str, str]:
    """An environment in which every index, proxy and download address is a refused loopback port."""
    dead = f"http://127.0.0.1:{port}"
    proxies = dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"), dead)
    proxies |= {name.lower(): dead for name in proxies}
    return {
        **proxies,
        "NO_PROXY": "",
        "no_proxy": "",
        "UV_DEFAULT_INDEX": f"{dead}/simple",
        "UV_HTTP_RETRIES": "0",
        "UV_HTTP_TIMEOUT": "10",
    }


def _unpack(built, target: Path) -> Path:
    done = mcpb("unpack", str(built["file"]), str(target))
    assert done.returncode == 0, done.stdout + done.stderr
    return target


async def _tool_names(built, bundle_dir: Path, extra_env: dict[str, str], log: Path) -> list[str]:
    """Start the unpacked bundle as its manifest says, plus ``extra_env``; the tools it lists."""
    values = {"phone": "0900000000", "password": "not-used"}  # nothing here signs in
    params = server_params(launch_config(built["manifest"], bundle_dir, values))
    params = params.model_copy(update={"env": {**params.env, **extra_env}})
    names: list[str] = []
    with log.open("w") as errlog, anyio.fail_after(300):  # the first start may fill a cold uv cache
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            assert client.server_info.name, "no initialize result"
            names = sorted(tool.name for tool in (await client.list_tools()).tools)
    return names


@pytest.mark.anyio
async def test_the_bundle_starts_offline_from_a_warm_cache(built, tmp_path):
    """The bundle ships uv.lock and starts with it frozen: once uv's cache holds the locked
    packages, a new install starts offline, with no index, proxy or download address
    reachable, and builds nothing (a build would need the build backend from an index);
    an install that has started once starts again with no index reachable.

    ``UV_OFFLINE=1`` makes uv take its cached files as they are; without it uv asks the
    server again about a cached file that came without caching headers (as from some mirrors).
    """
    listed = [tool["name"] for tool in built["manifest"]["tools"]]
    first = _unpack(built, tmp_path / "first")
    assert await _tool_names(built, first, {}, tmp_path / "first.stderr") == listed

    second = _unpack(built, tmp_path / "second")
    with _refusing_port() as port:
        starts = [
            ("a new install, uv offline", second, {**_no_index(port), "UV_OFFLINE": "1"}),
            ("the same install again", first, _no_index(port)),
        ]
        for what, folder, env in starts:
            log = tmp_path / f"{folder.name}-again.stderr"
            names: list[str] | None = None
            with contextlib.suppress(Exception):  # a start that fails is reported below, with uv's words
                names = await _tool_names(built, folder, env, log)
            if names is None:
                pytest.fail(f"{what} did not start without an index:\n{log_tail(log)}", pytrace=False)
            assert names == listed, what
    locked, installed = _locked_versions(second), _installed_versions(second)
    unlocked = {name: (got, locked.get(name)) for name, got in installed.items() if got != locked.get(name)}
    assert unlocked == {}, "installed, and locked, versions that differ"
    assert "mcp" in installed and "finizi-b4b" not in installed  # the server runs from the bundle's folder


def test_the_build_refuses_a_lock_that_does_not_match_pyproject(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("pyproject.toml", "uv.lock", "README.md", "LICENSE", "bundle", "finizi_b4b", "schemas"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, checkout / name)
    pyproject = checkout / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('    "jsonschema>=4.20",\n', '    "jsonschema>=4.20",\n    "six",\n')
    )
    build = build_module()
    with pytest.raises(build.BuildError, match=r"^uv\.lock does not match pyproject\.toml .*make lock"):
        build.stage(tmp_path / "stage", root=checkout)
    assert not (tmp_path / "stage").exists()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lock: .*\n\t\$\(BIN\)/uv lock\n", makefile, re.M), "make lock refreshes uv.lock"
