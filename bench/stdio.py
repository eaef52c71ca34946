"""A minimal JSON-RPC client over a child's stdio, as a desktop client speaks to a server.

Kept raw on purpose: the benchmark measures the server, so the client adds as
little as possible (one JSON line out, one in) and knows the child's pid for
its memory figures.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from typing import Any

__all__ = [
    "PROTOCOL",
    "RpcError",
    "StdioPeer",
    "ToolCallFailed",
    "child_env",
    "cpu_seconds",
    "end_process",
    "error_body",
    "expect_success",
    "result_text",
    "time_to_initialize",
]

PROTOCOL = "2025-11-25"


async def end_process(proc: asyncio.subprocess.Process) -> None:
    """Close the child's stdin (its cue to stop), wait up to 10 s, then kill it."""
    if proc.stdin is not None and not proc.stdin.is_closing():
        proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), 10)
    except TimeoutError:
        proc.kill()
        await proc.wait()


class RpcError(Exception):
    pass


class ToolCallFailed(Exception):
    """A ``tools/call`` the benchmark needed ended in an ``isError`` result."""


def result_text(result: dict[str, Any]) -> str:
    """The text content of a ``tools/call`` result (all text blocks, in order)."""
    blocks = result.get("content", [])
    return "".join(block.get("text", "") for block in blocks if block.get("type") == "text")


def expect_success(result: dict[str, Any], tool: str) -> dict[str, Any]:
    """The structured content of a successful result; a failure raises :class:`ToolCallFailed`.

    A failed result carries only text content (``{"success": false, "error": ..., "code": ...}``),
    so the message is read from there.
    """
    if not result.get("isError"):
        return result["structuredContent"]
    body = error_body(result)
    if "error" in body:
        raise ToolCallFailed(f"{tool} failed: {body.get('code', 'error')}: {body['error']}")
    raise ToolCallFailed(f"{tool} failed: {result_text(result) or 'an error result without text'}")


def error_body(result: dict[str, Any]) -> dict[str, Any]:
    """The JSON object of a result's text (an error's ``success``, ``error`` and ``code``), or {}."""
    try:
        body = json.loads(result_text(result))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux, from ``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StdioPeer:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())
        self.last_line_bytes = 0

    @classmethod
    async def spawn(cls, argv: list[str], env: dict[str, str]) -> StdioPeer:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            limit=16 * 1024 * 1024,
        )
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            message = json.loads(line)
            future = self._waiting.pop(message.get("id"), None)
            if future is not None and not future.done():
                self.last_line_bytes = len(line)
                future.set_result(message)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RpcError("the server closed its output"))

    async def request(self, method: str, params: dict[str, Any] | None = None, *, within: float = 60) -> Any:
        """The result of one request, awaited ``within`` seconds at most: a stuck server fails the run."""
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        payload = {"jsonrpc": "2.0", "id": number, "method": method, "params": params or {}}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(payload, ensure_ascii=False).encode() + b"\n")
        message = await asyncio.wait_for(future, within)
        if "error" in message:
            raise RpcError(f"{method}: {message['error']}")
        return message["result"]

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        assert self.proc.stdin is not None
        line = json.dumps({"jsonrpc": "2.0", "method": method, "params": params or {}}).encode() + b"\n"
        self.proc.stdin.write(line)

    async def initialize(self) -> dict[str, Any]:
        result = await self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "finizi-b4b-bench", "version": "1"},
            },
        )
        self.notify("notifications/initialized")
        return result

    async def call(self, tool: str, arguments: dict[str, Any], *, within: float = 60) -> dict[str, Any]:
        return await self.request("tools/call", {"name": tool, "arguments": arguments}, within=within)

    def _status_kib(self, field: str) -> int:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
        raise RuntimeError(f"{field} not found")

    def peak_rss_kib(self) -> int:
        """The child's peak resident set (VmHWM), in KiB; Linux only."""
        return self._status_kib("VmHWM")

    def rss_kib(self) -> int:
        """The child's resident set now (VmRSS), in KiB; Linux only."""
        return self._status_kib("VmRSS")

    def reset_peak_rss(self) -> None:
        """Start the child's peak resident set again from what it holds now (``clear_refs`` 5, Linux)."""
        with open(f"/proc/{self.proc.pid}/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    async def close(self) -> None:
        await end_process(self.proc)
        self._reader.cancel()


async def time_to_initialize(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning the child to holding its ``initialize`` result."""
    started = time.perf_counter()
    peer = await StdioPeer.spawn(argv, env)
    try:
        await peer.initialize()
        return time.perf_counter() - started
    finally:
        await peer.close()


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "PYTHONPATH")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **(extra or {})}
