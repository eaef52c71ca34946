"""Record tool calls to a cassette and replay them.

A cassette is a JSON-lines file; each line is one tool call::

    {"version": 1, "session": "…", "seq": 3, "tool": "list_invoices", "arguments": {…},
     "result": {"content": […], "structuredContent": {…}, "isError": false},
     "exchanges": [{"request": {…}, "response": {…}, "elapsed_ms": 1.9}, …],
     "elapsed_ms": 4.2, "recorded_at": "2026-11-24T09:00:00+00:00"}

Recording and replaying are two implementations of the API client's request
seam (``Transport``), plus a router that notes which exchanges each call made.
Secrets are redacted once, when a line is written, by one numbered
:class:`~finizi_b4b.redact.Redactor`: tokens become ``[REDACTED:access-token-1]``
and so on, so that replay can still tell which token each request carried.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import attrs
import mcp.types as types

from finizi_b4b.api.transport import ApiRequest, ApiResponse, Transport, TransportFailure
from finizi_b4b.config import Settings
from finizi_b4b.redact import Redactor, is_marker
from finizi_b4b.router import ToolRouter
from finizi_b4b.runtime import TransportFactory

__all__ = [
    "CASSETTE_VERSION",
    "CallOutcome",
    "CassetteError",
    "Recorder",
    "ReplayTransport",
    "read_cassette",
    "replay_file",
    "run_replay",
]

CASSETTE_VERSION = 1
_EXCHANGES: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "finizi_b4b_exchanges", default=None
)


class CassetteError(Exception):
    """A cassette that cannot be read (bad JSON, unknown format version)."""


# -- the shapes written to a cassette ----------------------------------------


def request_record(request: ApiRequest, redactor: Redactor) -> dict[str, Any]:
    record: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.query:
        record["query"] = [list(pair) for pair in request.query]
    if request.json is not None:
        record["json"] = redactor.value(request.json)
    if request.upload is not None:
        up = request.upload
        record["upload"] = {
            "field": up.field,
            "filename": up.filename,
            "size": len(up.content),
            "sha256": hashlib.sha256(up.content).hexdigest(),
        }
        with contextlib.suppress(UnicodeDecodeError):  # kept so that replay can give the handler the file
            record["upload"]["text"] = redactor.text(up.content.decode("utf-8"))
    record["auth"] = redactor.marker(request.token, "access-token") if request.token else None
    return record


def response_record(response: ApiResponse, redactor: Redactor) -> dict[str, Any]:
    record: dict[str, Any] = {"status": response.status, "headers": dict(response.headers)}
    ctype = response.header("content-type") or ""
    if "json" in ctype:
        try:
            record["json"] = redactor.value(json.loads(response.body)) if response.body else None
            return record
        except ValueError:
            pass
    record["text"] = redactor.text(response.body.decode("utf-8", errors="replace"))
    return record


def response_from_record(record: dict[str, Any]) -> ApiResponse:
    if "json" in record:
        body = b"" if record["json"] is None else json.dumps(record["json"], ensure_ascii=False).encode()
    else:
        body = record.get("text", "").encode()
    return ApiResponse(status=record["status"], headers=dict(record.get("headers", {})), body=body)


def result_record(result: types.CallToolResult) -> dict[str, Any]:
    dumped = result.model_dump(by_alias=True, exclude_none=True, mode="json")
    return {key: dumped[key] for key in ("content", "structuredContent", "isError") if key in dumped}


# -- recording ---------------------------------------------------------------


class RecordingTransport:
    """Passes requests to the real transport and notes each exchange for the current call."""

    def __init__(self, inner: Transport, redactor: Redactor) -> None:
        self.inner = inner
        self.redactor = redactor

    async def send(self, request: ApiRequest) -> ApiResponse:
        exchanges = _EXCHANGES.get()
        started = time.perf_counter()
        try:
            response = await self.inner.send(request)
        except TransportFailure as exc:
            if exchanges is not None:
                exchanges.append(
                    {
                        "request": request_record(request, self.redactor),
                        "error": {"kind": exc.kind, "detail": exc.detail},
                        "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
                    }
                )
            raise
        if exchanges is not None:
            exchanges.append(
                {
                    "request": request_record(request, self.redactor),
                    "response": response_record(response, self.redactor),
                    "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
                }
            )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class RecordingRouter(ToolRouter):
    """The router, plus one cassette line per call."""

    def __init__(self, recorder: Recorder, definitions: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__(definitions)
        self.recorder = recorder

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        exchanges: list[dict[str, Any]] = []
        token = _EXCHANGES.set(exchanges)
        started = time.perf_counter()
        try:
            result = await super().call_tool(ctx, params)
        finally:
            _EXCHANGES.reset(token)
        self.recorder.write_call(
            params.name, params.arguments or {}, result, exchanges, (time.perf_counter() - started) * 1000
        )
        return result


@attrs.define
class Recorder:
    """Appends recorded calls to a cassette file, redacting as it writes."""

    path: Path
    _handle: IO[str]
    redactor: Redactor = attrs.field(factory=lambda: Redactor(numbered=True))
    session: str = attrs.field(factory=lambda: os.urandom(4).hex())
    seq: int = 0

    @classmethod
    @contextmanager
    def open(cls, path: str | os.PathLike[str]) -> Iterator[Recorder]:
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as handle:
            yield cls(target, handle)

    def wrap_factory(self, factory: TransportFactory) -> TransportFactory:
        def make(settings: Settings) -> Transport:
            self.redactor.add(settings.password, kind="password")
            return RecordingTransport(factory(settings), self.redactor)

        return make

    def router(self, definitions: dict[str, dict[str, Any]] | None = None) -> RecordingRouter:
        return RecordingRouter(self, definitions)

    def write_call(
        self,
        tool: str,
        arguments: dict[str, Any],
        result: types.CallToolResult,
        exchanges: list[dict[str, Any]],
        elapsed_ms: float,
    ) -> None:
        self.seq += 1
        line = {
            "version": CASSETTE_VERSION,
            "session": self.session,
            "seq": self.seq,
            "tool": tool,
            "arguments": self.redactor.value(arguments),
            "result": self.redactor.value(result_record(result)),
            # Exchanges were redacted as they were recorded; a second pass catches
            # secrets first seen later in the call (a token inside an earlier body).
            "exchanges": self.redactor.value(exchanges),
            "elapsed_ms": round(elapsed_ms, 3),
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._handle.flush()


# -- reading -----------------------------------------------------------------


def read_cassette(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every call line of a cassette, checked for a format this version reads."""
    calls = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError as exc:
                raise CassetteError(f"{path}, line {number}: not JSON ({exc.msg})") from None
            version = line.get("version") if isinstance(line, dict) else None
            if version != CASSETTE_VERSION:
                raise CassetteError(
                    f"{path}, line {number}: cassette format version {version!r} is not supported "
                    f"(this finizi-b4b reads version {CASSETTE_VERSION}); re-record it with this version"
                )
            for key in ("session", "seq", "tool", "arguments", "result", "exchanges"):
                if key not in line:
                    raise CassetteError(f"{path}, line {number}: '{key}' is missing")
            line["line"] = number
            calls.append(line)
    return calls


def sessions(calls: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Calls grouped by recording session (one server process each), each in call order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for call in calls:
        groups.setdefault(call["session"], []).append(call)
    return [sorted(group, key=lambda c: c["seq"]) for group in groups.values()]


# -- replaying ---------------------------------------------------------------


def _describe(request: dict[str, Any]) -> str:
    query = "&".join(f"{k}={v}" for k, v in request.get("query", []))
    return f"{request['method']} {request['path']}" + (f"?{query}" if query else "")


class ReplayTransport:
    """Answers each request from the recorded exchanges of the current call; never touches the network."""

    def __init__(self) -> None:
        self.redactor = Redactor(numbered=True)
        self.expected: deque[dict[str, Any]] = deque()
        self.problems: list[str] = []

    def load(self, exchanges: list[dict[str, Any]]) -> None:
        self.expected = deque(exchanges)
        self.problems = []

    def leftovers(self) -> list[str]:
        return [f"recorded request not made: {_describe(x['request'])}" for x in self.expected]

    async def send(self, request: ApiRequest) -> ApiResponse:
        got = request_record(request, self.redactor)
        if not self.expected:
            self.problems.append(f"request not in the cassette: {_describe(got)}")
            raise TransportFailure("connect", "request not in the cassette")
        exchange = self.expected.popleft()
        wanted = exchange["request"]
        if got != wanted:
            self.problems.append(
                f"request not in the cassette: {_describe(got)} {_json_diff(wanted, got)}"
                if _describe(got) == _describe(wanted)
                else f"request not in the cassette: {_describe(got)} (the cassette holds {_describe(wanted)})"
            )
            raise TransportFailure("connect", "request not in the cassette")
        if "error" in exchange:
            raise TransportFailure(exchange["error"]["kind"], exchange["error"]["detail"])
        return response_from_record(exchange["response"])

    async def aclose(self) -> None:
        return None


def _json_diff(recorded: Any, replayed: Any) -> str:
    a = json.dumps(recorded, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(replayed, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    changed = [line for line in difflib.unified_diff(a, b, lineterm="", n=0) if line[:1] in "+-"]
    return "(" + "; ".join(x.strip() for x in changed if x not in ("---", "+++")) + ")"


@attrs.frozen
class CallOutcome:
    cassette: str
    seq: int
    tool: str
    ok: bool
    report: str = ""

    def describe(self) -> str:
        head = f"{'ok' if self.ok else 'FAIL':4} {self.cassette} #{self.seq} {self.tool}"
        return (
            head if self.ok else head + "\n" + "\n".join("     " + line for line in self.report.splitlines())
        )


def diff_results(tool: str, seq: int, recorded: dict[str, Any], replayed: dict[str, Any]) -> str:
    """A readable unified diff of two results, empty when they are the same."""

    def lines(result: dict[str, Any]) -> list[str]:
        shown = dict(result)
        texts = shown.pop("content", [])
        decoded = []
        for block in texts:
            try:
                decoded.append(json.loads(block.get("text", "")))
            except ValueError:
                decoded.append(block)
        shown["content"] = decoded
        return json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False).splitlines()

    diff = difflib.unified_diff(
        lines(recorded), lines(replayed), f"recorded {tool} #{seq}", f"replayed {tool} #{seq}", lineterm=""
    )
    return "\n".join(diff)


def _replay_settings(session: list[dict[str, Any]], base: Settings) -> Settings:
    """Credentials a no-argument login needs: the recorded phone and the password's marker."""
    for call in session:
        for exchange in call["exchanges"]:
            request = exchange["request"]
            if request["path"].endswith("/auth/login") and call["tool"] == "login" and not call["arguments"]:
                body = request.get("json") or {}
                return attrs.evolve(base, phone=body.get("phone"), password=body.get("password"))
    return base


def _with_recorded_file(call: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """An upload's recorded file, written again when the original path no longer exists."""
    arguments = call["arguments"]
    path = arguments.get("file_path")
    if not isinstance(path, str) or Path(path).exists():
        return arguments
    for exchange in call["exchanges"]:
        upload = exchange["request"].get("upload")
        if upload and "text" in upload:
            copy = workdir / str(call["seq"]) / Path(path).name
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(upload["text"].encode("utf-8"))
            return {**arguments, "file_path": str(copy)}
    return arguments


def _live_arguments(arguments: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Arguments for a live replay: a redacted password becomes the one configured in the environment."""
    if is_marker(arguments.get("password")):
        if not settings.password:
            raise CassetteError(
                "replaying a login against a live API needs FINIZI_PASSWORD in the environment"
            )
        return {**arguments, "password": settings.password}
    return arguments


async def replay_file(path: str | os.PathLike[str], *, against: str | None = None) -> list[CallOutcome]:
    """Replay every call of a cassette through a real in-process client session per recorded session."""
    name = Path(path).name
    outcomes: list[CallOutcome] = []
    calls = read_cassette(path)
    with tempfile.TemporaryDirectory(prefix="finizi-b4b-replay-") as tmp:
        for session in sessions(calls):
            outcomes += await _replay_session(name, session, Path(tmp), against)
    return outcomes


async def _replay_session(
    name: str, session: list[dict[str, Any]], workdir: Path, against: str | None
) -> list[CallOutcome]:
    from mcp import Client

    from finizi_b4b.runtime import default_transport
    from finizi_b4b.server import build_server

    replay: ReplayTransport | None = None
    if against:
        settings = attrs.evolve(Settings.from_env(), api_url=against.rstrip("/"))
        factory: TransportFactory = default_transport
    else:
        settings = _replay_settings(session, Settings(api_url="http://cassette.invalid"))
        replay = ReplayTransport()
        factory = lambda _settings, t=replay: t  # noqa: E731
    outcomes: list[CallOutcome] = []
    async with Client(build_server(settings, transport_factory=factory), mode="legacy") as client:
        for call in session:
            arguments = _with_recorded_file(call, workdir)
            if replay is not None:
                replay.load(call["exchanges"])
            else:
                arguments = _live_arguments(arguments, settings)
            result = result_record(await client.call_tool(call["tool"], arguments))
            problems = [*replay.problems, *replay.leftovers()] if replay is not None else []
            diff = diff_results(call["tool"], call["seq"], call["result"], result)
            report = "\n".join(problems + ([diff] if diff and not problems else []))
            outcomes.append(CallOutcome(name, call["seq"], call["tool"], not report, report))
    return outcomes


def run_replay(paths: list[str], *, against: str | None = None) -> int:
    """The ``finizi-b4b replay`` command."""
    import anyio

    outcomes: list[CallOutcome] = []
    for path in paths:
        try:
            outcomes += anyio.run(lambda p=path: replay_file(p, against=against))
        except (CassetteError, OSError) as exc:
            print(f"finizi-b4b replay: {exc}", file=sys.stderr)
            return 2
    for outcome in outcomes:
        print(outcome.describe())
    failed = sum(not o.ok for o in outcomes)
    print(f"{len(outcomes)} calls replayed: {len(outcomes) - failed} ok, {failed} differ")
    return 1 if failed else 0
