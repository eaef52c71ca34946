"""The client half of figure 5a's floor: the same API request made with aiohttp alone, in its own process.

A server answering ``list_invoices`` cannot do less than an MCP server that
does nothing (the bare SDK server) plus an HTTP client that makes the request
and decodes the answer. This module is that client. Run as ``python -m
bench.direct_proc``, it reads one JSON line on stdin (``url``, ``path``,
``query``, ``headers``), then, for each line holding a count ``N``, makes ``N``
of those requests at once, decodes every answer as JSON, and writes one line
``{"seconds": ..., "errors": ...}``. It does nothing else, so the CPU time the
benchmark reads from ``/proc`` around a round is what the requests cost.
:class:`DirectProcess` drives it from the benchmark.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

from bench.stdio import cpu_seconds, end_process

__all__ = ["DirectProcess", "main"]


async def _rounds(config: dict[str, Any]) -> None:
    url = config["url"] + config["path"]
    query, headers = config.get("query") or None, config.get("headers") or {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def one() -> bool:
            try:
                async with session.get(url, params=query, headers=headers) as resp:
                    body = await resp.json()
                    return resp.status == 200 and isinstance(body, dict)
            except (aiohttp.ClientError, TimeoutError, ValueError):
                return False

        while line := sys.stdin.buffer.readline():  # ends when the benchmark closes our input
            started = time.perf_counter()
            done = await asyncio.gather(*(one() for _ in range(int(line))))
            seconds = time.perf_counter() - started
            sys.stdout.write(json.dumps({"seconds": seconds, "errors": done.count(False)}) + "\n")
            sys.stdout.flush()


def main() -> None:
    asyncio.run(_rounds(json.loads(sys.stdin.buffer.readline())))


class DirectProcess:
    """``python -m bench.direct_proc`` in a child process, making ``path`` requests on demand."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(
        cls, url: str, path: str, query: dict[str, Any], headers: dict[str, str], env: dict[str, str]
    ) -> DirectProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.direct_proc",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        direct = cls(proc)
        direct._send({"url": url, "path": path, "query": query, "headers": headers})
        return direct

    def _send(self, value: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(value).encode() + b"\n")

    async def round(self, count: int) -> tuple[float, float, int]:
        """Seconds the child took for ``count`` requests at once, its CPU seconds, and how many failed."""
        assert self.proc.stdout is not None
        before = cpu_seconds(self.proc.pid)
        self._send(count)
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)  # bounded: a stuck child fails
        if not line:
            raise RuntimeError("the direct client stopped")
        answer = json.loads(line)
        return answer["seconds"], cpu_seconds(self.proc.pid) - before, answer["errors"]

    async def close(self) -> None:
        await end_process(self.proc)


if __name__ == "__main__":
    main()
