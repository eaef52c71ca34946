"""The sandbox API in its own process, and the direct HTTP client that is the reference for per-call cost.

The sandbox runs in a child process so that it competes with neither the
server under test nor the benchmark's own reference requests.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bench.stdio import child_env
from finizi_b4b.sandbox import DEMO_ADMIN

__all__ = ["ROOT", "Direct", "SandboxProcess"]

ROOT = Path(__file__).resolve().parent.parent


class SandboxProcess:
    """``finizi-b4b sandbox --port 0 --control --seed SEED`` in a child process."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""

    async def __aenter__(self) -> SandboxProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "finizi_b4b",
            "sandbox",
            "--port",
            "0",
            "--control",
            "--seed",
            str(self.seed),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=child_env(),
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        line = (await asyncio.wait_for(self.proc.stdout.readline(), 60)).decode().strip()
        prefix = "Sandbox listening on "
        if not line.startswith(prefix):
            await self.__aexit__()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = line.removeprefix(prefix)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    def server_env(self) -> dict[str, str]:
        """The environment of a finizi-b4b server signed in to this sandbox as the demo administrator."""
        return child_env(
            {
                "FINIZI_API_URL": self.url,
                "FINIZI_PHONE": DEMO_ADMIN.phone,
                "FINIZI_PASSWORD": DEMO_ADMIN.password,
                "FINIZI_B4B_LOG_LEVEL": "WARNING",
            }
        )


class Direct:
    """The same requests the server makes, with aiohttp and nothing else."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self.headers: dict[str, str] = {}

    async def login(self) -> None:
        async with self.session.post(
            f"{self.url}/api/v1/auth/login", json={"phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password}
        ) as resp:
            body = await resp.json()
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}

    async def get(self, path: str, **query: Any) -> Any:
        async with self.session.get(self.url + path, params=query or None, headers=self.headers) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(self.url + path, json=body, headers=self.headers) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.session.request(method, f"{self.url}/_sandbox/{path}", json=body) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def close(self) -> None:
        await self.session.close()
