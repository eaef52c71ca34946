"""Build the release files: the wheel, the sdist, the MCP Bundle, their SHA-256 sums and server.json.

    python bundle/release.py --mcpb-version X.Y.Z [--dist dist] [--stage build/bundle] [--tag vX.Y.Z]

``make release-artifacts`` runs this with the MCPB CLI version pinned in the Makefile, and
the release workflow runs that on a version tag, with ``--tag``. It checks that the version
is the same everywhere (pyproject.toml, the package, the bundle manifest, server.json and
the tag), builds the sdist and, from it, the wheel with ``uv build`` (hatchling), builds the
bundle as ``make bundle`` does (validated with the official MCPB CLI), then writes
``<dist>/server.json`` (the registry entry with the bundle's SHA-256, which the registry
requires of an MCPB package and which only exists once the bundle is built) and
``<dist>/SHA256SUMS`` (``sha256sum -c`` reads it). Earlier release files in ``<dist>`` are
removed first; nothing is published.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build as bundle_build  # bundle/build.py, beside this file

__all__ = ["check_versions", "main", "release", "release_url", "sums"]

ROOT = bundle_build.ROOT
SUMS = "SHA256SUMS"
NAME = "finizi-b4b"
# What earlier runs left in <dist>, removed before a build so that SHA256SUMS lists this one only.
OLD_FILES = ("finizi_b4b-*.whl", "finizi_b4b-*.tar.gz", f"{NAME}-*.mcpb", "server.json", SUMS)

BuildError = bundle_build.BuildError


def release_url(repository: str, version: str) -> str:
    """Where the release workflow puts the bundle of ``version``: a GitHub release asset."""
    return f"{repository}/releases/download/v{version}/{NAME}-{version}.mcpb"


def _server_json(root: Path, version: str) -> dict:
    server = json.loads((root / "server.json").read_text(encoding="utf-8"))
    versions = {"server.json": server.get("version")}
    kinds = {}
    for package in server.get("packages", []):
        kinds[package.get("registryType")] = package
        versions[f"server.json's {package.get('registryType')} package"] = package.get("version")
    wrong = {where: found for where, found in versions.items() if found != version}
    if wrong:
        raise BuildError(
            "versions disagree with pyproject.toml's " + version + ": "
            + ", ".join(f"{where} has {found}" for where, found in wrong.items())
        )  # fmt: skip
    if set(kinds) != {"pypi", "mcpb"}:
        raise BuildError(f"server.json must list a pypi and an mcpb package, not {sorted(map(str, kinds))}")
    expected = release_url(server["repository"]["url"], version)
    if kinds["mcpb"].get("identifier") != expected:
        raise BuildError(
            f"server.json's mcpb package must be {expected}, not {kinds['mcpb'].get('identifier')}"
        )
    return server


def check_versions(root: Path = ROOT, tag: str | None = None) -> str:
    """The version, once every place that names it agrees (and the tag, when given, is ``v<version>``)."""
    version = bundle_build.project_version(root)
    if tag is not None and tag != f"v{version}":
        raise BuildError(f"the tag {tag} is not v{version}, the version in pyproject.toml: tag v{version}")
    _server_json(root, version)
    return version


def sums(files: list[Path]) -> str:
    """``SHA256SUMS``: one ``<hex>  <name>`` line per file, sorted by name."""
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}" for path in files]
    return "\n".join(sorted(lines, key=lambda line: line.split("  ", 1)[1])) + "\n"


def _python_packages(dist: Path, version: str) -> list[Path]:
    done = bundle_build.run_uv("build", "--out-dir", str(dist), "--no-create-gitignore", str(ROOT), cwd=ROOT)
    if done.returncode != 0:
        raise BuildError(f"uv build failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()}")
    built = [dist / f"finizi_b4b-{version}.tar.gz", dist / f"finizi_b4b-{version}-py3-none-any.whl"]
    missing = [path.name for path in built if not path.is_file()]
    if missing:
        raise BuildError(f"uv build did not write {', '.join(missing)}")
    return built


def release(mcpb_version: str, dist: Path, stage: Path, tag: str | None = None) -> list[Path]:
    """Build every release file into ``dist``; return them, ``SHA256SUMS`` last."""
    version = check_versions(ROOT, tag)
    dist.mkdir(parents=True, exist_ok=True)
    for pattern in OLD_FILES:
        for old in dist.glob(pattern):
            old.unlink()
    files = _python_packages(dist, version)
    bundle = bundle_build.build(mcpb_version, stage, dist)
    files.append(bundle)
    server = _server_json(ROOT, version)
    for package in server["packages"]:
        if package["registryType"] == "mcpb":
            package["fileSha256"] = hashlib.sha256(bundle.read_bytes()).hexdigest()
    (dist / "server.json").write_text(json.dumps(server, indent=2, ensure_ascii=False) + "\n", "utf-8")
    files.append(dist / "server.json")
    (dist / SUMS).write_text(sums(files), encoding="utf-8")
    return [*files, dist / SUMS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mcpb-version", required=True, help="the @anthropic-ai/mcpb version to run")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the release files go")
    parser.add_argument(
        "--stage", type=Path, default=ROOT / "build" / "bundle", help="the bundle's staging folder"
    )
    parser.add_argument("--tag", help="the version tag being released (vX.Y.Z); it must name the version")
    args = parser.parse_args(argv)
    try:
        files = release(args.mcpb_version, args.dist.resolve(), args.stage.resolve(), tag=args.tag or None)
    except BuildError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    for path in files:
        print(f"release: {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
