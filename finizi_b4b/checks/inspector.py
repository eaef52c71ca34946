"""The MCP Inspector CLI, an independent client, run on ``tools/list --strict`` in both protocol eras."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

__all__ = ["INSPECTOR", "run_inspector"]

# The one pin; tests/integration/test_inspector.py uses it too.
INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"


def run_inspector(timeout: float = 300) -> list[str]:
    """Problems the MCP Inspector CLI reports on ``tools/list --strict``, in both protocol eras."""
    npx = shutil.which("npx")
    if npx is None:
        return ["npx (Node.js) is needed for --inspector"]
    problems = []
    for era in ("legacy", "modern"):
        command = [npx, "-y", INSPECTOR, "--cli", sys.executable, "-m", "finizi_b4b", "serve"]
        done = subprocess.run(
            [*command, "--method", "tools/list", "--strict", "--protocol-era", era],
            capture_output=True, text=True, timeout=timeout, check=False,
            env={**os.environ, "FINIZI_B4B_LOG_LEVEL": "WARNING"},
        )  # fmt: skip
        if done.returncode != 0:
            lines = [
                line
                for line in (done.stderr + done.stdout).splitlines()
                if line.strip() and "npm warn" not in line
            ]
            problems += [f"MCP Inspector ({era}): {line}" for line in lines[-10:]] or [
                f"MCP Inspector ({era}) failed"
            ]
    return problems
